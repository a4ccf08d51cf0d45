"""The WeCom API pool reads the environment once per host, and reads what requests would."""
import urllib3

from bluebird.notify import wecom


def test_the_api_calls_honour_the_proxy_variables_as_requests_would(monkeypatch):
    monkeypatch.setattr(wecom, "_environment", {})
    monkeypatch.setattr(wecom, "_pools", {})
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "qyapi.internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp-ca.pem")
    via = wecom.environment("https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=x")
    assert via["proxies"].get("https") == "http://proxy.corp.example:3128"
    assert via["verify"] == "/etc/ssl/corp-ca.pem"
    direct = wecom.environment("https://qyapi.internal.example/cgi-bin/gettoken")
    assert "https" not in direct["proxies"]
    # Read once per host: a later change of the variables is not looked up on every message.
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:1")
    assert wecom.environment("https://qyapi.weixin.qq.com/cgi-bin/gettoken") == via
    proxied = wecom.api_pool("https://qyapi.weixin.qq.com/cgi-bin/message/send")
    assert isinstance(proxied, urllib3.ProxyManager) and proxied.proxy.host == "proxy.corp.example"
    assert proxied.connection_pool_kw["ca_certs"] == "/etc/ssl/corp-ca.pem"
    assert not isinstance(wecom.api_pool("https://qyapi.internal.example/cgi-bin/gettoken"), urllib3.ProxyManager)
    assert wecom.api_pool("https://qyapi.weixin.qq.com/cgi-bin/gettoken") is proxied  # one pool per host
