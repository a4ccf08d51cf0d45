"""The server-drawn SVG charts: well-formed, escaped, and free of inline style."""
import xml.etree.ElementTree as ET

from bluebird.charts import bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup):
    return ET.fromstring(str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_line_chart_draws_one_polyline_per_series_and_gaps_for_missing_months():
    svg = _parse(line_chart(["1月", "2月", "3月", "4月"], [("张三", [98, None, 95, 96]), ("李四", [90, 91, 92, 93])],
                            title="近12个月得分"))
    groups = svg.findall(f"{SVG}g")
    assert [g.get("class") for g in groups] == ["chart-s0", "chart-s1"]
    assert len(groups[0].findall(f"{SVG}polyline")) == 1  # 98 alone, then 95-96: one run of two
    assert len(groups[0].findall(f"{SVG}circle")) == 3
    assert len(groups[1].findall(f"{SVG}polyline")) == 1
    assert len(groups[1].findall(f"{SVG}circle")) == 4
    assert svg.find(f"{SVG}title").text == "近12个月得分"


def test_higher_values_are_drawn_higher():
    svg = _parse(line_chart(["a", "b"], [("s", [10, 20])], title="t"))
    ys = [float(c.get("cy")) for c in svg.iter(f"{SVG}circle")]
    assert ys[1] < ys[0]


def test_bar_chart_and_escaping():
    markup = str(bar_chart(["<b>", "x"], [3, 0], title='=HYPERLINK("a")<script>'))
    assert "<script>" not in markup and "<b>" not in markup
    svg = _parse(markup)
    assert len(svg.findall(f".//{SVG}rect")) == 2
    assert "style=" not in markup  # the CSP forbids inline style


def test_the_axis_reads_in_round_numbers():
    svg = str(line_chart(["1月", "2月"], [("s", [98.9, 61])], title="t"))
    labels = [t.split(">")[1].split("<")[0] for t in svg.split('<text class="chart-axis"')[1:6]]
    assert labels == ["0", "25", "50", "75", "100"]
    svg = str(bar_chart(["a", "b"], [3, 7], title="t"))
    labels = [t.split(">")[1].split("<")[0] for t in svg.split('<text class="chart-axis"')[1:6]]
    assert labels == ["0", "2", "4", "6", "8"]


def test_a_chart_carries_its_title_for_a_visible_caption():
    chart = bar_chart(["a"], [1], title="每周投诉")
    assert chart.caption == "每周投诉" and str(chart).startswith("<svg")
