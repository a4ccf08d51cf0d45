"""The seeded checklists, in the staff's words (Chinese) with English beside them.

Flags per item: P needs a photo on failure, N needs a note, R opens a repair case,
I opens an incident, W the repair is under warranty (move-in defects), V vetoes the score.
The quality inspection is seed 003 篇11 (物业监督检查考核标准), item by item.
"""

PATROL = ("每日巡查", "Daily patrol", [
    ("安全隐患", "Safety hazards", [
        ("楼道、走廊无堆放杂物，无私拉乱接电线", "No clutter in stairwells or corridors, no improvised wiring", 0, "PNI"),
        ("井盖、护栏、围墙完好，无坠落、绊倒隐患", "Manhole covers, railings and walls intact: nothing to fall into or trip over", 0, "PR"),
        ("外墙、屋面无脱落、渗漏", "Façades and roofs: nothing loose, no leaks", 0, "PR"),
    ]),
    ("消防设施", "Fire equipment", [
        ("消防通道、安全出口畅通无堵塞", "Fire lanes and exits clear", 0, "PNI"),
        ("灭火器、消火栓齐全有效，压力正常", "Extinguishers and hydrants present, in date, at pressure", 0, "PR"),
        ("应急照明、疏散指示完好", "Emergency lights and exit signs working", 0, "PR"),
    ]),
    ("照明", "Lighting", [
        ("路灯、楼道灯、单元门灯完好", "Street, stairwell and entrance lights working", 0, "R"),
    ]),
    ("环境卫生", "Cleanliness", [
        ("道路、广场无垃圾、无积水", "Roads and squares clean, no standing water", 0, "P"),
        ("垃圾桶无满溢，垃圾日产日清", "Bins not overflowing; rubbish cleared daily", 0, "P"),
    ]),
    ("绿化", "Greening", [
        ("绿地无践踏、无枯死、无乱堆放", "Lawns not trampled, nothing dead, nothing dumped", 0, "P"),
    ]),
    ("秩序", "Order", [
        ("无违规装修、无乱贴乱画", "No unauthorised works, no posters or graffiti", 0, "PN"),
        ("单元门、门禁正常关闭", "Entrance doors and access control close properly", 0, "R"),
    ]),
    ("停车", "Parking", [
        ("车辆有序停放，无占用消防通道", "Cars parked in order, none in the fire lanes", 0, "PN"),
    ]),
])

LOBBY = ("大堂巡检", "Lobby check", [
    ("大堂设备", "Lobby equipment", [
        ("大堂灯光、空调正常", "Lobby lights and air conditioning working", 0, "R"),
        ("门禁、可视对讲正常", "Access control and door phone working", 0, "R"),
        ("电梯运行正常，轿厢整洁", "Lifts running, cars clean", 0, "R"),
        ("信报箱、快递柜完好", "Mailboxes and parcel lockers intact", 0, "R"),
        ("消防设施完好，标识清晰", "Fire equipment intact, signs legible", 0, "PR"),
    ]),
    ("环境", "Surroundings", [
        ("地面、玻璃门干净无污迹", "Floor and glass doors clean", 0, ""),
        ("公告栏信息及时、整齐", "Notice board current and tidy", 0, ""),
    ]),
])

VACANT = ("空置房巡查", "Vacant unit patrol", [
    ("房屋", "Unit", [
        ("门窗关闭完好，无损坏", "Doors and windows shut and intact", 0, "PR"),
        ("无渗水、漏水，无霉变", "No seepage, leaks or mould", 0, "PRW"),
        ("水、电、燃气表读数正常，阀门关闭", "Water, power and gas meters normal, valves shut", 0, "N"),
        ("室内无异味、无异常", "Nothing smells or looks wrong inside", 0, "PN"),
        ("钥匙在柜，封条完好", "Key in the cabinet, seal intact", 0, "N"),
    ]),
])

ROOMS = [("入户门厅", "Entrance"), ("客厅", "Living room"), ("卧室", "Bedrooms"), ("厨房", "Kitchen"),
         ("卫生间", "Bathrooms"), ("阳台", "Balcony")]
CHECKS = [("墙面", "Walls"), ("地面", "Floor"), ("顶棚", "Ceiling"), ("门窗", "Doors and windows"),
          ("给水", "Water supply"), ("电气", "Electricity"), ("燃气", "Gas"), ("排水", "Drainage")]
MOVEIN = ("交房验房", "Move-in inspection", [
    (room, room_en, [(f"{room}·{check}", f"{room_en}: {check_en}", 0, "PRW") for check, check_en in CHECKS])
    for room, room_en in ROOMS
])

RENOVATION = ("装修巡查", "Renovation check", [
    ("施工", "Works", [
        ("在规定时间内施工，无噪音扰民", "Working within the allowed hours, no noise nuisance", 0, "PN"),
        ("未拆改承重墙、梁柱及外立面", "No load-bearing walls, beams or façade altered", 0, "PN"),
        ("未破坏防水层，卫生间闭水试验已做", "Waterproofing intact; bathroom flood test done", 0, "PN"),
        ("无违规用电、明火作业有审批", "No unsafe wiring; hot work approved", 0, "PN"),
    ]),
    ("现场", "Site", [
        ("施工人员持有效出入证", "Workers carry valid passes", 0, "PN"),
        ("装修垃圾袋装、及时清运，公共区域无堆放", "Rubble bagged and removed; nothing in common areas", 0, "PN"),
        ("配备灭火器", "Extinguisher on site", 0, "PN"),
    ]),
])

ACCEPTANCE = ("装修验收", "Renovation acceptance", [
    ("验收", "Acceptance", [
        ("承重结构、外立面未改动", "Structure and façade unchanged", 0, "PN"),
        ("防水、给排水无渗漏", "Waterproofing and plumbing: no leaks", 0, "PN"),
        ("电气线路规范，无私接", "Wiring to standard, nothing improvised", 0, "PN"),
        ("公共部位无损坏，垃圾清运完毕", "Common areas undamaged, rubble removed", 0, "PN"),
    ]),
])

QUALITY = ("物业监督检查（百分制）", "Property quality inspection (100 points)", [
    ("维修（30分）", "Maintenance (30)", [
        ("24小时值班，接到报修电话20分钟内到现场", "On duty 24 h; on site within 20 minutes of a repair call", 3, "PN"),
        ("服务周到，有求必答，工完料净，场地清", "Courteous service, every question answered, site left clean", 3, "PN"),
        ("如需暂时停水、停电，保证及时通知到用户", "Planned water or power cuts announced to residents in time", 3, "PN"),
        ("上下水、电气、暖气、土建维修，零修事不过夜", "Plumbing, electrical, heating and civil minor repairs done the same day", 3, "PN"),
        ("按照规定时间、规定次数供应热水", "Hot water at the set times and frequency", 3, "PN"),
        ("保证用户上下水畅通，无跑、冒、滴、漏现象", "Supply and drains flow freely, no leaks or drips", 3, "PN"),
        ("路灯、楼道灯、单元门等室外公共设施每月巡检", "Outdoor facilities (street and stair lights, entrance doors) inspected monthly", 3, "PN"),
        ("电修、土建、水暖服务实行承诺制", "Electrical, civil and plumbing services run on published commitments", 3, "PN"),
        ("保证住宅室内温度不低于16℃", "Indoor temperature of homes at least 16 °C", 3, "PN"),
        ("保修期内属于施工单位负责的维修项目，及时联系维修，认真检查服务质量",
         "Warranty repairs: the construction company is called promptly and its work checked", 3, "PN"),
    ]),
    ("绿化·树木（8分）", "Greening: trees (8)", [
        ("新植树木健壮，冠形均匀，树干通直，成活率不低于90%，保护措施完整",
         "New trees healthy and straight, at least 90% survive, protected", 2, "PN"),
        ("乔木树冠无折悬枝，树高5米以下无枯死枝、病腐枝，无虫害",
         "Tree crowns free of broken branches; below 5 m no dead or diseased wood, no pests", 2, "PN"),
        ("花灌木冠形美观，修剪合理，无蛛网、灰网、折悬枝、枯死枝条，无病虫害",
         "Shrubs well shaped and pruned; no cobwebs, broken or dead twigs, no pests", 2, "PN"),
        ("绿篱冠形整齐，修剪及时，无缺苗断空，篱丛内无枯枝、杂草、杂物、蛛丝网",
         "Hedges even and trimmed, no gaps; no dead wood, weeds, litter or webs inside", 2, "PN"),
    ]),
    ("绿化·草坪地被（5分）", "Greening: lawns (5)", [
        ("草坪品种纯正，修剪及时（高度不超过15厘米），不缺水少肥",
         "Lawns of one kind, mown (under 15 cm), watered and fed", 2, "PN"),
        ("绿地内杂草及裸土率不超过5%", "Weeds and bare soil under 5% of green areas", 2, "PN"),
        ("绿地内无明显人为践踏的斑秃或道路", "No trampled patches or paths across lawns", 1, "PN"),
    ]),
    ("绿化·花坛花带（2分）", "Greening: flower beds (2)", [
        ("花坛花带整体效果好，品种配置合理，密度适宜，高度整齐一致",
         "Beds look good as a whole: well chosen, evenly planted, even height", 1, "PN"),
        ("花卉生长繁茂，无杂草、枯死植株、病虫害，裸土率不超过5%",
         "Flowers thriving; no weeds, dead plants or pests; bare soil under 5%", 1, "PN"),
    ]),
    ("绿化·道路设施与园林小品（5分）", "Greening: paths and garden features (5)", [
        ("路面平整，裸露地面不大于5%，硬铺装破损面积不大于2%",
         "Paths even; bare ground under 5%, damaged paving under 2%", 1, "PN"),
        ("园林小品布置得当，无人为损害", "Garden features well placed and undamaged", 1, "PN"),
        ("路灯、座椅及休闲设施完整无缺，卫生状况好", "Lamps, benches and leisure facilities complete and clean", 1, "PN"),
        ("喷泉、水景水质好，水面无漂浮物", "Fountains and ponds clean, nothing floating", 1, "PN"),
        ("宣传栏、揭示板、警示牌、路标安放牢固，字迹清晰，无人为损坏",
         "Notice boards, warning signs and signposts secure, legible, undamaged", 1, "PN"),
    ]),
    ("绿化·绿地卫生（5分）", "Greening: cleanliness of green areas (5)", [
        ("道路、广场清洁无淤泥，无堆放物，视野内无丢弃物", "Roads and squares free of mud, piles and litter", 2, "PN"),
        ("主要道路每50米内设一个果皮箱，完好可用，表面清洁，清理及时",
         "A bin every 50 m on main roads, intact, clean and emptied", 2, "PN"),
        ("绿地内无乱贴乱画，无卫生死角", "No posters or graffiti, no neglected corners in green areas", 1, "PN"),
    ]),
    ("保洁·室外（13分）", "Cleaning: outdoors (13)", [
        ("路面无明显污迹，无渣土堆积、废弃物，无蚊蝇孳生地", "No stains, rubble, waste or breeding spots for flies", 3, "PN"),
        ("责任区内无卫生死角", "No neglected corners in the area of responsibility", 4, "PN"),
        ("冬季路面无积雪积冰；春、夏、秋季无积水，道路畅通", "No snow or ice in winter, no standing water otherwise; roads passable", 3, "PN"),
        ("垃圾日产日清，不堆积", "Rubbish cleared the day it is made, never piled up", 3, "PN"),
    ]),
    ("保洁·室内（12分）", "Cleaning: indoors (12)", [
        ("公共场所地面干净，无痰迹、积水、碎纸等杂物", "Public floors clean: no spit, water or scraps", 3, "PN"),
        ("楼梯扶手保持干净，无尘土", "Stair handrails clean and dust-free", 3, "PN"),
        ("卫生间无异味，门、地面清洁，便池、水池光洁，通风良好", "Toilets odour-free, clean fittings, well ventilated", 3, "PN"),
        ("楼道内干净整洁，无杂物堆积", "Stairwells clean and clear", 3, "PN"),
    ]),
    ("管理（10分）", "Management (10)", [
        ("具有完备的物业管理规章制度和操作规程", "Complete property-management rules and procedures", 2, "N"),
        ("具有当年的工作计划和长远的工作规划", "This year's work plan and a long-term plan", 2, "N"),
        ("具有稳定的专业队伍，相关人员经过培训，持证上岗", "A stable trained team, certified where required", 2, "N"),
        ("设有服务电话，用户遇到问题可拨打相应电话", "Service hotlines published for residents", 2, "N"),
        ("独立立项、招标的维修工程按甲方质量要求完成", "Tendered maintenance projects completed to the client's standard", 2, "N"),
    ]),
    ("安全（10分）", "Safety (10)", [
        ("全年无重大责任事故发生（若发生重大安全事故，一票否决）",
         "No major accident all year (a major safety accident vetoes the whole score)", 2, "PNV"),
        ("树立“天天防火、夜夜防盗”的防范意识，加强服务人员思想教育",
         "“Guard against fire every day, theft every night”: staff are trained in it", 2, "N"),
        ("安全防火制度、措施健全，防火组织机构完备", "Fire-safety rules, measures and organisation complete", 2, "N"),
        ("有巡回检查制度和检查记录；防火设施、数量心中有数", "Patrol rules and records kept; fire equipment counted and known", 2, "N"),
        ("责任层层落实到人", "Responsibility assigned to named people at every level", 2, "N"),
    ]),
])

SEEDS = {"patrol": PATROL, "lobby": LOBBY, "vacant": VACANT, "movein": MOVEIN, "renovation": RENOVATION,
         "acceptance": ACCEPTANCE, "quality": QUALITY}
