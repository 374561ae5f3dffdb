"""Write tickets.jsonl: synthetic 12345-style hotline tickets for the synthetic city (CC0).

Pure and seeded: `python -m crisisgov.opinion.dataset.make_tickets [output]` rewrites the file
byte for byte. Each ticket's text is put together from hand-written parts of its category (several
complaint cores and details per category, in zh and en) and shared openings, places, asks and
contact details, so a classifier cannot key on one fixed template. Personal data put into a text
(phones, ID numbers with a correct check digit, home addresses) is listed in `pii`; look-alikes
that are not personal data (order numbers, dates, ID-shaped numbers with a wrong check digit) in
`not_pii`, for measuring redaction precision.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

SEED = 20260701
COUNT = 1200
START = dt.datetime(2026, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DAYS = 28
DISTRICTS = ("D1", "D2", "D3", "D4")
MIN_LENGTH, MAX_LENGTH = 15, 120
OUTPUT = Path(__file__).resolve().parent / "tickets.jsonl"

# Per category: zh cores, zh details, en cores, en details, and "cross" cases — a detail that
# makes a dispatcher legitimately send the ticket to another department: (department, zh, en).
BANKS: dict[str, dict[str, tuple]] = {
    "medical_help": {
        "zh": (
            "家里老人突然胸口疼喘不上气",
            "孩子高烧四十度一直不退",
            "我爱人是孕妇现在肚子疼得厉害",
            "打了120一直占线叫不到救护车",
            "家属有糖尿病胰岛素用完了",
            "母亲中风半边身子动不了",
            "透析病人被封在小区里出不去",
            "邻居晕倒在楼道里叫不醒",
        ),
        "zh_detail": (
            "小区封着出不去",
            "已经等了一个多小时",
            "附近医院说不接诊",
            "现在人意识不太清楚",
            "家里只有我一个人",
            "社区电话打不通",
            "急需有人帮忙送医",
            "药店也都关门了",
        ),
        "en": (
            "my father has chest pain and can't breathe properly",
            "my child has had a fever of 40 degrees since last night",
            "my wife is pregnant and in a lot of pain",
            "we have been calling 120 but can't get an ambulance",
            "my mother is diabetic and has run out of insulin",
            "my neighbour collapsed in the stairwell and won't wake up",
            "a dialysis patient is stuck inside our locked-down compound",
            "my grandfather seems to have had a stroke",
        ),
        "en_detail": (
            "the compound gates are locked",
            "we have waited over an hour",
            "the nearest hospital turned us away",
            "he is barely conscious now",
            "I am alone with him",
            "nobody answers at the community office",
            "we need someone to take her to hospital",
            "all the pharmacies nearby are closed",
        ),
        "cross": (
            (
                "civil_affairs",
                "老人独居摔倒后一直没人照看",
                "an old man living alone fell and nobody looks after him",
            ),
        ),
    },
    "fever_clinic": {
        "zh": (
            "发热门诊排队排了五个小时还没看上",
            "发热门诊只开一个窗口",
            "去发热门诊被告知今天不再挂号",
            "发热门诊里面人挤人没有隔开",
            "发热门诊医生态度很差",
            "不知道最近的发热门诊在哪",
            "发热门诊的检测结果三天了还没出",
            "发热门诊让我们在门口露天等",
        ),
        "zh_detail": (
            "孩子烧得厉害",
            "很多老人站不住了",
            "现场没有人维持秩序",
            "下着雨也没个遮挡",
            "电话咨询一直没人接",
            "网上写的开放时间和实际不一样",
            "担心在里面交叉感染",
            "同一批的人都等急了",
        ),
        "en": (
            "we have queued at the fever clinic for five hours",
            "the fever clinic has only one counter open",
            "the fever clinic stopped registering patients at noon",
            "the fever clinic waiting room is packed with no distancing",
            "staff at the fever clinic were rude to us",
            "I can't find which fever clinic is open near me",
            "my fever clinic test result is three days late",
            "the fever clinic makes people wait outside in the open",
        ),
        "en_detail": (
            "my kid's fever is getting worse",
            "elderly people can't stand that long",
            "nobody is managing the queue",
            "it is raining and there is no shelter",
            "the clinic phone is never answered",
            "the opening hours online are wrong",
            "we are afraid of catching something inside",
            "everyone in the line is getting angry",
        ),
        "cross": (),
    },
    "vaccination": {
        "zh": (
            "预约了疫苗接种到了现场说没有疫苗",
            "接种点排队的人太多",
            "老人想打疫苗但行动不便",
            "第二针的接种时间一直没通知",
            "接种后手臂红肿发烧",
            "接种记录在系统里查不到",
            "社区通知的接种点地址是错的",
            "孩子的疫苗本丢了不知道怎么补",
        ),
        "zh_detail": (
            "白跑了一趟",
            "能不能安排上门接种",
            "打电话问谁都说不清楚",
            "想知道是否正常",
            "单位要求出示接种证明",
            "已经过了间隔时间",
            "希望多开几个接种点",
            "小程序一直显示约满",
        ),
        "en": (
            "I booked a vaccination slot but they had no vaccine",
            "the queue at the vaccination site is enormous",
            "my mother can't walk to the vaccination site",
            "nobody told us when the second dose is due",
            "my arm is swollen and I have a fever after the jab",
            "my vaccination record doesn't show up in the system",
            "the vaccination site address we were given is wrong",
            "we lost our child's vaccination booklet",
        ),
        "en_detail": (
            "it was a wasted trip",
            "can someone come to the house",
            "no one on the phone can explain",
            "I want to know if this is normal",
            "my employer needs proof of vaccination",
            "the interval has already passed",
            "please open more sites",
            "the booking app always says full",
        ),
        "cross": (),
    },
    "quarantine_supplies": {
        "zh": (
            "居家隔离第五天了家里没菜了",
            "隔离楼栋的生活物资一直没送到",
            "社区发的物资包里东西不够",
            "封控以后买不到米和油",
            "隔离在家婴儿奶粉快吃完了",
            "团购的菜被堵在小区门口进不来",
            "隔离户的垃圾三天没人收",
            "家里老人的降压药快吃完了出不去买",
        ),
        "zh_detail": (
            "社区电话打了十几遍",
            "楼长说他也没办法",
            "家里有两个小孩",
            "志愿者说人手不够",
            "网上平台都抢不到",
            "说好的配送一直没来",
            "我们是独居老人",
            "希望尽快安排",
        ),
        "en": (
            "we are on day five of home quarantine and out of food",
            "the supplies for our quarantined building never arrived",
            "the community food box was far too small",
            "since the lockdown we can't buy rice or oil",
            "we are quarantined and the baby formula is almost gone",
            "our grocery delivery is stuck at the compound gate",
            "nobody has collected rubbish from quarantined homes for three days",
            "my parents are quarantined and their blood pressure pills are running out",
        ),
        "en_detail": (
            "I have called the community a dozen times",
            "the building volunteer can't help",
            "we have two small children",
            "volunteers say they are short-staffed",
            "every delivery app is sold out",
            "the promised delivery never came",
            "they are elderly and live alone",
            "please arrange something soon",
        ),
        "cross": (
            (
                "market",
                "小区团购的菜价格比平时翻了三倍",
                "the group-buy vegetables cost three times the usual price",
            ),
        ),
    },
    "elderly_care": {
        "zh": (
            "楼上独居老人好几天没出门了",
            "我父亲八十多岁一个人住没人照顾",
            "孤寡老人家里停水停电了也不知道",
            "社区助老服务这周没人上门",
            "老人不会用手机扫码进不了超市",
            "独居老人家里门敲不开",
            "养老院不让家属探视也不回消息",
            "老人行动不便没法下楼领物资",
        ),
        "zh_detail": (
            "担心出什么事",
            "我们在外地回不去",
            "老人耳朵不好电话听不见",
            "邻居也联系不上他家人",
            "以前网格员每周来一次",
            "老人一直哭着打电话",
            "希望社区派人去看看",
            "天气热怕他中暑",
        ),
        "en": (
            "the old lady upstairs who lives alone hasn't come out for days",
            "my father is in his eighties and lives alone with no help",
            "an elderly neighbour has no water or power and doesn't know who to call",
            "the community elderly visits didn't happen this week",
            "old people can't scan the health code to enter the supermarket",
            "an elderly man living alone isn't answering his door",
            "the care home won't let families visit or answer messages",
            "my grandmother can't go downstairs to collect supplies",
        ),
        "en_detail": (
            "we are worried something happened",
            "we live in another city and can't get there",
            "he is hard of hearing and misses calls",
            "neighbours can't reach her family",
            "the grid worker used to come weekly",
            "she keeps calling me in tears",
            "please send someone to check",
            "it's very hot and we fear heatstroke",
        ),
        "cross": (
            (
                "health",
                "老人每周要透析现在出不了门去医院",
                "he needs dialysis every week and can't get to hospital",
            ),
        ),
    },
    "subsistence_allowance": {
        "zh": (
            "低保申请交上去两个月没消息",
            "疫情期间失业了想申请临时救助",
            "这个月的低保金没有到账",
            "残疾人补贴突然停发了",
            "受灾了房子被淹想问怎么申请救助",
            "临时救助要求的材料太多",
            "低保复核把我们家取消了",
            "困难家庭补助不知道去哪里申请",
        ),
        "zh_detail": (
            "家里还有两个孩子上学",
            "社区说要等区里审批",
            "街道窗口现在不对外",
            "没有任何通知",
            "我们确实没有收入了",
            "网上申请一直提交不了",
            "工作人员让我们来回跑",
            "想要一个明确答复",
        ),
        "en": (
            "I applied for subsistence allowance two months ago and heard nothing",
            "I lost my job in the crisis and want emergency aid",
            "this month's subsistence payment hasn't arrived",
            "my disability allowance suddenly stopped",
            "our house was flooded and I want to apply for relief",
            "the emergency aid form asks for too many documents",
            "our family was dropped from the allowance at review",
            "I don't know where to apply for hardship support",
        ),
        "en_detail": (
            "we have two children in school",
            "the community says the district must approve",
            "the subdistrict counter is closed to the public",
            "we got no notice at all",
            "we really have no income now",
            "the online form won't submit",
            "staff keep sending us back and forth",
            "I want a clear answer",
        ),
        "cross": (),
    },
    "noise": {
        "zh": (
            "旁边工地半夜还在施工",
            "楼下商铺的音响从早放到晚",
            "小区里的水泵房噪音特别大",
            "高架桥上的货车晚上鸣笛",
            "附近工厂机器一直轰鸣",
            "凌晨有渣土车来回轰油门",
            "楼顶的冷却塔嗡嗡响",
            "广场上的大喇叭宣传声音太大",
        ),
        "zh_detail": (
            "已经连续一个星期了",
            "家里孩子网课都听不清",
            "晚上根本睡不着觉",
            "老人心脏不好受不了",
            "跟他们说了也没用",
            "过了晚上十点还不停",
            "投诉过好几次没人管",
            "希望派人来测一下噪音",
        ),
        "en": (
            "the construction site next door works past midnight",
            "a shop downstairs blasts music all day",
            "the pump house in our compound is extremely loud",
            "lorries on the flyover honk all night",
            "a factory nearby roars non-stop",
            "dump trucks rev their engines at 3 a.m.",
            "the cooling tower on the roof hums constantly",
            "the loudspeaker announcements on the square are far too loud",
        ),
        "en_detail": (
            "it has gone on for a week",
            "my kids can't hear their online classes",
            "we can't sleep at night",
            "my elderly mother has a heart condition",
            "talking to them changed nothing",
            "it continues after 10 p.m.",
            "I have complained several times",
            "please send someone to measure it",
        ),
        "cross": (
            (
                "police",
                "楼上邻居深夜聚会喝酒吵闹还砸东西",
                "the neighbours upstairs are drinking, shouting and smashing things at night",
            ),
        ),
    },
    "air_pollution": {
        "zh": (
            "附近有人露天焚烧垃圾",
            "工厂烟囱冒黑烟",
            "工地扬尘特别大没有覆盖",
            "郊区有人烧秸秆烟飘到城里",
            "搅拌站灰尘满天飞",
            "烧烤摊油烟直冲我家窗户",
            "垃圾焚烧厂周边空气很差",
            "锅炉房冒的烟呛得人咳嗽",
        ),
        "zh_detail": (
            "窗户都不敢开",
            "孩子一直咳嗽",
            "晾的衣服全是灰",
            "晚上烟更大",
            "一到下午就开始",
            "空气质量APP显示重度污染",
            "路过的人都捂着鼻子",
            "希望环保部门查一查",
        ),
        "en": (
            "someone is burning rubbish in the open near us",
            "a factory chimney is pouring out black smoke",
            "the building site dust isn't covered at all",
            "crop burning outside the city sends smoke into town",
            "the concrete plant throws dust everywhere",
            "barbecue stalls blow smoke straight into my window",
            "the air around the incinerator is terrible",
            "smoke from a boiler room makes people cough",
        ),
        "en_detail": (
            "we can't open the windows",
            "my child keeps coughing",
            "laundry comes in grey",
            "it's worse at night",
            "it starts every afternoon",
            "the air quality app says heavily polluted",
            "passers-by cover their noses",
            "please have the environment bureau inspect",
        ),
        "cross": (),
    },
    "chemical_smell": {
        "zh": (
            "小区附近闻到很浓的刺鼻气味",
            "河边化工厂飘出一股酸味",
            "下水道冒出像油漆一样的味道",
            "一辆罐车停在路边好像在漏液体",
            "工业园那边传来很冲的化学品味道",
            "楼下仓库里有桶在冒白烟",
            "空气里有股臭鸡蛋味越来越重",
            "河面上漂着一层油还有怪味",
        ),
        "zh_detail": (
            "眼睛都被熏得流泪",
            "好几个人头晕恶心",
            "从早上一直持续到现在",
            "不知道有没有毒",
            "附近有学校和幼儿园",
            "风一吹整条街都是",
            "有人说是夜里偷排的",
            "请马上派人来查",
        ),
        "en": (
            "there is a strong pungent smell around our compound",
            "an acid smell is drifting from the chemical plant by the river",
            "the drains smell like paint thinner",
            "a tanker parked by the road seems to be leaking",
            "a harsh chemical smell is coming from the industrial park",
            "drums in the warehouse downstairs are giving off white fumes",
            "a rotten egg smell is getting stronger",
            "there is an oily film and a strange smell on the river",
        ),
        "en_detail": (
            "our eyes are watering",
            "several people feel dizzy and sick",
            "it has lasted since the morning",
            "we don't know if it's toxic",
            "there is a school and a kindergarten nearby",
            "the whole street smells of it",
            "people say they dump at night",
            "please send someone now",
        ),
        "cross": (
            (
                "emergency",
                "化工厂方向在冒黑烟像是着火了",
                "black smoke is rising from the chemical plant as if it is on fire",
            ),
        ),
    },
    "traffic_signal": {
        "zh": (
            "路口的红绿灯坏了一直闪黄灯",
            "十字路口信号灯不亮",
            "左转灯时间太短根本过不去",
            "人行横道的绿灯只有十几秒",
            "信号灯被树枝挡住看不见",
            "红绿灯两个方向同时是绿灯",
            "停电以后路口信号灯全灭了",
            "学校门口的信号灯倒计时坏了",
        ),
        "zh_detail": (
            "早高峰堵成一锅粥",
            "差点撞上",
            "老人过马路太危险",
            "好几天了都没修",
            "没有交警指挥",
            "已经发生过剐蹭",
            "晚上车速都很快",
            "希望尽快修好",
        ),
        "en": (
            "the traffic light at the junction is stuck flashing amber",
            "the signals at the crossroads are dark",
            "the left-turn arrow is far too short",
            "the pedestrian green lasts only about ten seconds",
            "a tree branch hides the traffic light",
            "both directions get a green light at once",
            "since the power cut all the junction signals are off",
            "the countdown on the signal outside the school is broken",
        ),
        "en_detail": (
            "the morning rush is gridlocked",
            "I nearly got hit",
            "it's dangerous for old people crossing",
            "it has not been fixed for days",
            "there's no traffic officer directing",
            "there have already been scrapes",
            "cars drive fast at night",
            "please repair it quickly",
        ),
        "cross": (
            (
                "transport",
                "信号灯杆被大风吹倒横在路中间",
                "the signal pole was blown down and lies across the road",
            ),
        ),
    },
    "crime_report": {
        "zh": (
            "有人冒充防疫人员挨家挨户敲门",
            "小区里连续好几户被盗",
            "有人在撬楼下停着的电动车",
            "有一伙人在超市门口打架",
            "有人半夜在翻隔离户门口的物资",
            "看到有人在卖来路不明的药品",
            "车窗被砸了车里的东西被偷",
            "有陌生男子一直尾随小孩",
        ),
        "zh_detail": (
            "现在人还在现场",
            "监控应该拍到了",
            "邻居都很害怕",
            "已经不是第一次了",
            "那人穿着黑衣服",
            "往东边跑了",
            "我不敢出去看",
            "请警察快来",
        ),
        "en": (
            "people posing as health workers are knocking on every door",
            "several flats in our compound have been burgled",
            "someone is breaking into the e-bikes downstairs",
            "a group is fighting outside the supermarket",
            "someone is stealing supplies left at quarantined doors at night",
            "a man is selling unlabelled medicines on the street",
            "my car window was smashed and things were stolen",
            "a stranger keeps following children",
        ),
        "en_detail": (
            "they are still there now",
            "the cameras should have caught it",
            "neighbours are frightened",
            "it is not the first time",
            "he is wearing black",
            "they ran off to the east",
            "I don't dare go out",
            "please send the police",
        ),
        "cross": (),
    },
    "scam": {
        "zh": (
            "接到电话说我的健康码异常要交钱解除",
            "有人发短信让点链接领防疫补贴",
            "自称社区工作人员让转账买菜",
            "网上买的口罩付了钱就被拉黑",
            "接到冒充医保局的电话说要冻结账户",
            "有人以代办通行证为名收钱",
            "朋友圈有人卖特效药收了定金跑了",
            "被拉进一个领救灾款的群让交手续费",
        ),
        "zh_detail": (
            "我已经转了两千块",
            "差点就转账了",
            "家里老人信以为真",
            "对方电话现在打不通",
            "我保留了聊天记录",
            "群里好多人上当",
            "想提醒大家注意",
            "希望能追回钱",
        ),
        "en": (
            "a caller said my health code was flagged and I must pay to clear it",
            "a text message asks me to click a link for a crisis subsidy",
            "someone claiming to be from the community asked for money for groceries",
            "I paid for masks online and the seller blocked me",
            "a caller posing as the insurance bureau said my account would be frozen",
            "someone takes money to get travel passes",
            "a person selling a miracle cure took a deposit and vanished",
            "I was added to a group for disaster payments that wants a fee",
        ),
        "en_detail": (
            "I already transferred 2,000 yuan",
            "I almost paid",
            "my parents believed it",
            "the number is now unreachable",
            "I kept the chat records",
            "lots of people in the group were fooled",
            "I want to warn others",
            "I hope to get the money back",
        ),
        "cross": (
            (
                "market",
                "网店卖消毒液收钱不发货店家也不回",
                "an online shop took payment for disinfectant and never shipped",
            ),
        ),
    },
    "public_order": {
        "zh": (
            "核酸点有人插队吵起来了",
            "超市门口抢购的人挤成一团",
            "有人在小区门口聚集不戴口罩",
            "夜市摊贩占道经营堵住消防通道",
            "有人在封控区擅自拆除围挡",
            "物资发放点秩序混乱",
            "公园里一群人聚众打牌",
            "有人在路口拦车收费",
        ),
        "zh_detail": (
            "差点动手",
            "老人孩子被挤倒了",
            "没有人维持秩序",
            "每天晚上都这样",
            "保安也管不了",
            "很多人围观",
            "担心发生踩踏",
            "希望派人来管一管",
        ),
        "en": (
            "people are jumping the queue at the testing site and arguing",
            "crowds are crushing at the supermarket entrance",
            "a crowd without masks is gathering at our gate",
            "night market stalls block the fire lane",
            "someone is tearing down the lockdown barriers",
            "the supply handout point is chaotic",
            "a large group is playing cards in the park",
            "people at a junction are stopping cars and demanding money",
        ),
        "en_detail": (
            "it nearly came to blows",
            "old people and kids were knocked over",
            "nobody is keeping order",
            "it happens every night",
            "the guards can't handle it",
            "a crowd is watching",
            "I fear a stampede",
            "please send someone",
        ),
        "cross": (),
    },
    "road_damage": {
        "zh": (
            "路中间塌了一个大坑",
            "人行道地砖大面积翘起",
            "井盖不见了只剩个洞",
            "暴雨后路面开裂下沉",
            "桥面伸缩缝断了车开过去咣咣响",
            "施工后路面没有恢复坑坑洼洼",
            "路边护栏被撞坏倒在地上",
            "隧道里面的路面积水结了青苔",
        ),
        "zh_detail": (
            "晚上看不清很危险",
            "已经有电动车摔倒",
            "没有任何警示标志",
            "公交车都绕道了",
            "下雨天积水更深",
            "小孩上学要经过",
            "半个月了还没人修",
            "请尽快派人处理",
        ),
        "en": (
            "a big pothole has opened in the middle of the road",
            "the pavement slabs are lifting all along the street",
            "a manhole cover is missing",
            "the road surface cracked and sank after the storm",
            "the bridge expansion joint is broken and bangs under every car",
            "the road was never resurfaced after the works",
            "a crash barrier was knocked down and lies on the road",
            "the tunnel floor is flooded and slippery",
        ),
        "en_detail": (
            "it's dangerous in the dark",
            "an e-bike rider has already fallen",
            "there are no warning signs",
            "buses are diverting",
            "it fills with water when it rains",
            "children walk past it to school",
            "nobody has fixed it in two weeks",
            "please send someone soon",
        ),
        "cross": (
            (
                "water",
                "路面塌陷的地方一直往外冒自来水像是水管爆了",
                "water is gushing out where the road caved in, looks like a burst main",
            ),
        ),
    },
    "public_transport": {
        "zh": (
            "公交停运了也没有提前通知",
            "地铁站封闭后上班没法走",
            "公交车司机不让没有健康码的老人上车",
            "末班车提前了很多人被滞留",
            "地铁车厢里太挤了",
            "公交线路改道后站牌没更新",
            "医院方向的公交一小时才一班",
            "出租车拒载去隔离酒店",
        ),
        "zh_detail": (
            "我们每天要去医院陪护",
            "在站台等了四十分钟",
            "APP上还显示正常运营",
            "老人不会用手机",
            "打车也打不到",
            "下班只能走回家",
            "希望恢复原来的班次",
            "能不能加开几趟车",
        ),
        "en": (
            "buses stopped running without any notice",
            "the metro station closed and I can't get to work",
            "a bus driver refused an old man without a health code",
            "the last bus now leaves much earlier and people are stranded",
            "metro carriages are dangerously crowded",
            "bus stops weren't updated after the route change",
            "the bus to the hospital runs only once an hour",
            "taxis refuse to take people to the quarantine hotel",
        ),
        "en_detail": (
            "I visit a patient at the hospital every day",
            "I waited forty minutes at the stop",
            "the app still says normal service",
            "elderly people can't use the app",
            "no taxis are available either",
            "I had to walk home after work",
            "please restore the old timetable",
            "could you add more buses",
        ),
        "cross": (),
    },
    "rent_dispute": {
        "zh": (
            "房东因为我被隔离要把我赶走",
            "疫情期间房东不肯减免房租",
            "房东不退押金",
            "二房东卷款跑了",
            "房东突然涨房租百分之三十",
            "中介收了钱房子却住不进去",
            "合同没到期房东就要收房",
            "房东不给修漏水的屋顶",
        ),
        "zh_detail": (
            "合同上写得清清楚楚",
            "押金有三千块",
            "我们一家都没地方住",
            "房东电话也不接了",
            "中介说不关他们的事",
            "想问政府有没有减租政策",
            "已经住了两年了",
            "希望有部门出面协调",
        ),
        "en": (
            "my landlord wants to evict me because I was quarantined",
            "the landlord refuses any rent relief during the crisis",
            "the landlord won't return my deposit",
            "the sublessor ran off with everyone's rent",
            "the landlord suddenly raised the rent by 30 percent",
            "the agency took our money but we can't move in",
            "the landlord wants the flat back before the lease ends",
            "the landlord won't fix the leaking roof",
        ),
        "en_detail": (
            "it's all in the contract",
            "the deposit is 3,000 yuan",
            "my family would have nowhere to live",
            "the landlord stopped answering",
            "the agency says it's not their problem",
            "is there any government rent relief",
            "we have lived here two years",
            "please mediate",
        ),
        "cross": (
            (
                "police",
                "房东带人换锁把我的东西扔出来还动手打人",
                "the landlord changed the locks, threw out my things and hit me",
            ),
        ),
    },
    "building_safety": {
        "zh": (
            "楼道墙面出现很长的裂缝",
            "阳台外墙瓷砖往下掉",
            "老楼的楼梯踏步断了",
            "暴雨后房子地基好像下沉了",
            "屋顶的预制板开裂漏雨",
            "隔壁在装修拆承重墙",
            "小区挡土墙鼓起来了",
            "楼顶的广告牌被风吹得摇晃",
        ),
        "zh_detail": (
            "裂缝越来越宽",
            "下面就是小孩玩的地方",
            "住的都是老人",
            "物业说不归他们管",
            "晚上能听到咔咔响",
            "怕随时会塌",
            "已经拍了照片",
            "请专业人员来鉴定",
        ),
        "en": (
            "a long crack has appeared in the stairwell wall",
            "tiles are falling off the balcony facade",
            "a stair step in our old block has broken",
            "after the storm the house foundation seems to be sinking",
            "the precast roof slab has cracked and leaks",
            "next door's renovation is removing a load-bearing wall",
            "the retaining wall in our compound is bulging",
            "a rooftop billboard is swaying in the wind",
        ),
        "en_detail": (
            "the crack keeps widening",
            "children play right below",
            "mostly old people live here",
            "the management office says it's not theirs",
            "we hear creaking at night",
            "we fear it could collapse",
            "I have taken photos",
            "please send an engineer to assess it",
        ),
        "cross": (
            (
                "emergency",
                "暴雨后后山滑坡泥石已经压到房子后墙",
                "after the storm the hillside slid and mud is pressing on the back wall",
            ),
        ),
    },
    "property_management": {
        "zh": (
            "物业把电梯停了说是防疫需要",
            "物业乱收费还不开发票",
            "小区门禁坏了物业不修",
            "物业不让外卖快递进小区",
            "物业费涨了服务却越来越差",
            "小区车位被物业私自出租",
            "物业不公开维修基金的用途",
            "物业强制业主买他们的团购",
        ),
        "zh_detail": (
            "找物业经理也不露面",
            "业委会也不管",
            "我们是十八楼",
            "老人上下楼很困难",
            "他们态度很恶劣",
            "交了费却什么都没做",
            "好多业主都有意见",
            "请住建部门管一管",
        ),
        "en": (
            "the management company shut the lifts saying it's for disease control",
            "the property company charges extra fees without receipts",
            "the compound gate system is broken and not repaired",
            "management won't let deliveries into the compound",
            "the service fee went up while the service got worse",
            "management rents out residents' parking spaces",
            "nobody knows how the repair fund is being spent",
            "the management forces residents to buy from their group-buy",
        ),
        "en_detail": (
            "the manager never shows up",
            "the owners' committee does nothing",
            "we live on the 18th floor",
            "old people struggle with the stairs",
            "they are very rude",
            "we pay and get nothing",
            "many owners have complained",
            "please get the housing bureau involved",
        ),
        "cross": (
            (
                "water",
                "物业说二次供水的水泵坏了不归他们修",
                "management says the booster pump for our water is broken and not their job",
            ),
        ),
    },
    "water_outage": {
        "zh": (
            "从昨天晚上开始停水",
            "小区突然停水没有任何通知",
            "水压很低高层完全没水",
            "停水通知说六小时现在一天了还没来",
            "水管爆了整栋楼没水",
            "只有早上来一会儿水",
            "说好的送水车没来",
            "洪水过后一直没有自来水",
        ),
        "zh_detail": (
            "做饭洗澡都成问题",
            "家里有瘫痪老人",
            "打水务热线一直排队",
            "桶装水也买不到",
            "马桶都冲不了",
            "楼上楼下都一样",
            "想知道什么时候恢复",
            "能不能先送点水",
        ),
        "en": (
            "we have had no water since last night",
            "the water was cut with no notice",
            "water pressure is so low the upper floors get nothing",
            "the notice said six hours but it's been a day",
            "a pipe burst and the whole block is dry",
            "water only comes for a little while in the morning",
            "the water tanker we were promised never came",
            "there has been no tap water since the flood",
        ),
        "en_detail": (
            "we can't cook or wash",
            "there's a bedridden old man at home",
            "the water hotline is always busy",
            "bottled water is sold out",
            "we can't even flush the toilet",
            "the whole building is the same",
            "when will it come back",
            "could you send some water first",
        ),
        "cross": (
            (
                "housing",
                "物业把二次供水泵关了说要先交物业费",
                "the management switched off the booster pump until we pay fees",
            ),
        ),
    },
    "water_quality": {
        "zh": (
            "自来水发黄有铁锈味",
            "水龙头流出来的水浑浊",
            "自来水里有小虫子",
            "水有一股很重的消毒水味",
            "洪水后自来水有泥腥味",
            "烧开的水有白色沉淀",
            "水里漂着黑色的颗粒",
            "喝了自来水以后拉肚子",
        ),
        "zh_detail": (
            "放了半小时还是这样",
            "不敢给孩子喝",
            "邻居家也一样",
            "已经好几天了",
            "拍了视频可以发过来",
            "想知道水质检测结果",
            "只能买桶装水",
            "请派人来取样",
        ),
        "en": (
            "the tap water is yellow and tastes of rust",
            "the water from the tap is cloudy",
            "there are tiny worms in the tap water",
            "the water smells strongly of chlorine",
            "since the flood the water smells of mud",
            "boiled water leaves a white deposit",
            "black particles float in the water",
            "we got diarrhoea after drinking tap water",
        ),
        "en_detail": (
            "running it for half an hour doesn't help",
            "we don't dare give it to the children",
            "the neighbours have the same",
            "it has been days",
            "I have a video of it",
            "I want to see the test results",
            "we have to buy bottled water",
            "please come and take a sample",
        ),
        "cross": (),
    },
    "sewage": {
        "zh": (
            "下水道堵了污水漫到路上",
            "雨水井冒黑水臭气熏天",
            "小区地下室进了污水",
            "排水管破了污水顺着墙流",
            "一下雨路口就积水排不出去",
            "污水井盖往外冒水",
            "河道里有排污口直排污水",
            "厕所的水倒灌回来",
        ),
        "zh_detail": (
            "味道太大了",
            "蚊子苍蝇特别多",
            "车库都淹了",
            "孩子上学要蹚水",
            "已经报过两次",
            "担心传染病",
            "商铺都没法开门",
            "请尽快疏通",
        ),
        "en": (
            "a blocked drain is flooding the street with sewage",
            "the storm drain is spewing black water and stinks",
            "sewage has got into the basement of our block",
            "a broken waste pipe is leaking down the wall",
            "the junction floods every time it rains",
            "the sewer manhole is overflowing",
            "an outfall is pouring sewage straight into the river",
            "toilet water is backing up into the flat",
        ),
        "en_detail": (
            "the smell is unbearable",
            "there are flies and mosquitoes everywhere",
            "the car park is flooded",
            "children wade through it to school",
            "I've reported it twice",
            "we are afraid of disease",
            "shops can't open",
            "please clear it soon",
        ),
        "cross": (
            (
                "housing",
                "小区化粪池满了往外溢物业一直不处理",
                "the compound septic tank is overflowing and management does nothing",
            ),
        ),
    },
    "dam_safety": {
        "zh": (
            "河堤有一段在渗水",
            "水库大坝下游有管涌",
            "河水快漫过堤顶了",
            "堤坝上出现裂缝",
            "泄洪闸门好像卡住了",
            "河边的防洪墙被冲开一个口子",
            "水塘的坝体在往下垮",
            "上游水库开闸了下游没有通知",
        ),
        "zh_detail": (
            "旁边就是村子",
            "水位还在涨",
            "晚上看着特别吓人",
            "有人在堤上巡查但不够",
            "沙袋不够用",
            "下游住了几百户",
            "水流很急",
            "请马上派人来",
        ),
        "en": (
            "a section of the river embankment is seeping",
            "there is piping below the reservoir dam",
            "the river is almost over the top of the levee",
            "cracks have appeared on the dam",
            "the spillway gate seems to be stuck",
            "the flood wall by the river has been breached",
            "the pond dam is slumping",
            "the upstream reservoir opened its gates with no warning downstream",
        ),
        "en_detail": (
            "there is a village right next to it",
            "the water is still rising",
            "it looks terrifying at night",
            "a few people patrol but not enough",
            "we are running out of sandbags",
            "hundreds of families live downstream",
            "the current is very strong",
            "please send people now",
        ),
        "cross": (
            ("emergency", "河堤边有人被水冲走了", "someone was swept away near the embankment"),
        ),
    },
    "power_outage": {
        "zh": (
            "整个小区停电好几个小时了",
            "一天停了三次电",
            "暴雨后一直没来电",
            "停电通知说上午结束现在还没来",
            "电压不稳灯一闪一闪",
            "变压器冒烟以后就停电了",
            "只有我们一排商铺没电",
            "晚上突然跳闸整条街都黑了",
        ),
        "zh_detail": (
            "冰箱里的东西都坏了",
            "家里有人用制氧机",
            "电梯停了老人下不了楼",
            "供电热线打不进去",
            "天气这么热没法待",
            "孩子没法上网课",
            "没有说什么时候恢复",
            "请尽快抢修",
        ),
        "en": (
            "our whole compound has been without power for hours",
            "the power went off three times today",
            "there's been no electricity since the storm",
            "the outage notice said it would end this morning",
            "the voltage is unstable and lights keep flickering",
            "the transformer smoked and then the power went",
            "only our row of shops has no power",
            "a breaker tripped at night and the whole street went dark",
        ),
        "en_detail": (
            "everything in the fridge is spoiling",
            "someone at home uses an oxygen concentrator",
            "the lifts are down and old people are stuck",
            "I can't get through to the power hotline",
            "it's unbearably hot",
            "the kids can't attend online class",
            "nobody says when it will be back",
            "please repair it quickly",
        ),
        "cross": (
            (
                "housing",
                "只有我们这栋楼停电物业说是楼里线路老化",
                "only our block is dark and management blames old wiring in the building",
            ),
        ),
    },
    "fallen_power_line": {
        "zh": (
            "大风把电线刮断了掉在地上",
            "电线杆倾斜快倒了",
            "积水里有电线泡着",
            "路边配电箱门开着电线裸露",
            "树倒了压在电线上",
            "高压线下面有人在钓鱼",
            "电缆井冒火花",
            "楼外的电线被烧得发黑还在冒烟",
        ),
        "zh_detail": (
            "旁边就是小学",
            "还在打火花",
            "行人都绕着走",
            "怕有人触电",
            "晚上看不见很危险",
            "已经拉了警戒线但没人管",
            "下雨天更吓人",
            "请供电部门马上来",
        ),
        "en": (
            "the wind snapped a power line and it's on the ground",
            "a utility pole is leaning and about to fall",
            "a power cable is lying in the flood water",
            "a roadside switch box is open with bare wires",
            "a fallen tree is resting on the power lines",
            "people are fishing right under the high-voltage line",
            "sparks are coming out of a cable pit",
            "the wires outside our building are scorched and smoking",
        ),
        "en_detail": (
            "there's a primary school right there",
            "it's still sparking",
            "people are walking around it",
            "someone could be electrocuted",
            "you can't see it at night",
            "there's tape but nobody is watching",
            "it's worse in the rain",
            "please send the power company now",
        ),
        "cross": (),
    },
    "price_gouging": {
        "zh": (
            "药店一盒退烧药卖到一百多",
            "超市的青菜一天涨了好几倍",
            "口罩价格比上周贵了五倍",
            "小区门口卖菜的坐地起价",
            "桶装水涨到五十块一桶",
            "酒精消毒液被炒到天价",
            "外卖配送费突然翻了三倍",
            "超市把打折标签撕了按原价卖",
        ),
        "zh_detail": (
            "小票我都留着",
            "大家都是没办法才买",
            "不买就没有了",
            "明码标价上写的不一样",
            "老百姓买不起",
            "别的店也一样",
            "这是发国难财",
            "请市场监管部门查处",
        ),
        "en": (
            "a pharmacy is charging over 100 yuan for fever tablets",
            "vegetable prices at the supermarket jumped several times in a day",
            "masks cost five times what they did last week",
            "the vegetable seller at our gate keeps raising prices",
            "bottled water now costs 50 yuan a barrel",
            "disinfectant is being sold at crazy prices",
            "delivery fees suddenly tripled",
            "the supermarket removed the discount labels and charges full price",
        ),
        "en_detail": (
            "I kept the receipt",
            "people have no choice but to buy",
            "if you don't buy now it's gone",
            "the shelf price says something else",
            "ordinary people can't afford it",
            "other shops are doing it too",
            "they're profiting from a disaster",
            "please have market regulators act",
        ),
        "cross": (),
    },
    "food_safety": {
        "zh": (
            "社区发的肉闻着有异味",
            "超市卖的牛奶过期了",
            "团购的菜里有烂叶子还发霉",
            "餐馆后厨卫生特别脏",
            "买的面包里吃出头发",
            "发的物资包里的食品没有生产日期",
            "食堂饭菜里有虫子",
            "路边摊卖的熟食苍蝇乱飞",
        ),
        "zh_detail": (
            "吃了以后肚子不舒服",
            "照片和包装都留着",
            "老板还不承认",
            "很多人都买了",
            "孩子差点吃了",
            "保质期被改过",
            "希望下架",
            "请派人来检查",
        ),
        "en": (
            "the meat handed out by the community smells off",
            "the supermarket is selling expired milk",
            "the group-buy vegetables are rotten and mouldy",
            "a restaurant kitchen is filthy",
            "I found hair in bread I bought",
            "food in the supply box has no production date",
            "there were insects in the canteen food",
            "a street stall sells cooked food covered in flies",
        ),
        "en_detail": (
            "my stomach hurt after eating it",
            "I kept the packaging and photos",
            "the owner denies it",
            "lots of people bought it",
            "my child nearly ate it",
            "the best-before date was altered",
            "please take it off the shelves",
            "please send an inspector",
        ),
        "cross": (
            (
                "health",
                "吃了外卖后全家上吐下泻现在很难受",
                "the whole family is vomiting after a takeaway and feels awful",
            ),
        ),
    },
    "fake_goods": {
        "zh": (
            "买的N95口罩是假的没有防护效果",
            "药店卖的抗原试剂盒没有注册证",
            "买的消毒液一点味道都没有像是兑了水",
            "网上买的体温计根本测不准",
            "超市卖的大米是陈米冒充新米",
            "买的救生衣一下水就散了",
            "商家卖的防护服是三无产品",
            "买到假冒品牌的净水器",
        ),
        "zh_detail": (
            "包装上的厂家查不到",
            "和官网图片不一样",
            "商家拒绝退货",
            "花了好几百",
            "很多人都在用",
            "怕耽误大事",
            "我有购买记录",
            "希望严查",
        ),
        "en": (
            "the N95 masks I bought are fake",
            "the pharmacy sells antigen tests with no registration",
            "the disinfectant has no smell at all, it must be watered down",
            "the thermometer I bought online is wildly wrong",
            "old rice is being sold as this year's crop",
            "the life jacket I bought fell apart in the water",
            "a shop is selling protective suits with no maker or label",
            "I bought a counterfeit brand water purifier",
        ),
        "en_detail": (
            "the manufacturer on the box doesn't exist",
            "it doesn't match the official pictures",
            "the seller refuses a refund",
            "it cost several hundred yuan",
            "many people are using these",
            "this could cost lives",
            "I have the purchase record",
            "please investigate",
        ),
        "cross": (),
    },
    "school_closure": {
        "zh": (
            "学校突然通知停课家长没法上班",
            "想问下周到底复课不复课",
            "学校复课了但校车没有恢复",
            "停课期间学费能不能退",
            "幼儿园停课了托育费还照收",
            "复课要求的核酸证明太频繁",
            "期末考试是否延期一直没有通知",
            "学校被用作安置点孩子去哪上课",
        ),
        "zh_detail": (
            "家长群里说法不一",
            "学校电话打不通",
            "双职工家庭很难办",
            "孩子马上要升学",
            "网上传了好几个版本",
            "老师也说不知道",
            "希望早点给个准信",
            "请教育部门统一发通知",
        ),
        "en": (
            "the school closed suddenly and parents can't go to work",
            "will schools reopen next week or not",
            "school reopened but the school bus hasn't",
            "can fees be refunded for the closure",
            "the kindergarten is closed but still charging fees",
            "the testing required for returning to school is too frequent",
            "nobody says whether the end-of-term exams are postponed",
            "the school is a shelter now, where will children study",
        ),
        "en_detail": (
            "the parents' chat has five different versions",
            "nobody answers at the school",
            "both of us work",
            "my child has entrance exams soon",
            "several notices are circulating online",
            "teachers don't know either",
            "we need a firm answer",
            "please issue one clear notice",
        ),
        "cross": (),
    },
    "online_classes": {
        "zh": (
            "网课平台一上课就卡死",
            "家里没有电脑孩子上不了网课",
            "网课作业太多孩子每天熬到半夜",
            "老师要求每节课都开摄像头",
            "网课账号登不进去",
            "农村家里网络信号太差上不了网课",
            "一家三个孩子只有一部手机",
            "网课时间安排和线下一样长",
        ),
        "zh_detail": (
            "眼睛都看坏了",
            "学校说自己想办法",
            "家长也要上班",
            "已经落下好几节课",
            "客服一直联系不上",
            "能不能借设备",
            "希望减轻负担",
            "请教育局协调",
        ),
        "en": (
            "the online class platform freezes whenever lessons start",
            "we have no computer so my child can't attend online classes",
            "there's so much online homework my kid works till midnight",
            "the teacher insists cameras are on all lesson",
            "my child can't log in to the online class account",
            "the internet in our village is too weak for online classes",
            "three children share one phone for classes",
            "online lessons run as long as a normal school day",
        ),
        "en_detail": (
            "it's ruining their eyes",
            "the school says sort it out yourselves",
            "we parents have to work",
            "he has missed several lessons",
            "support can't be reached",
            "can we borrow a device",
            "please reduce the load",
            "please ask the education bureau to step in",
        ),
        "cross": (
            (
                "power",
                "村里天天停电孩子根本没法上网课",
                "the village loses power every day so my kid can't do online class",
            ),
        ),
    },
    "flood_rescue": {
        "zh": (
            "家里进水一楼已经淹到腰了",
            "有人被困在车里水还在涨",
            "村子被水围了出不去",
            "老人困在平房里水漫到床边",
            "地下车库进水有人没出来",
            "我们被困在屋顶上",
            "水太大孩子们在学校回不了家",
            "涵洞里有辆车熄火人在车顶上",
        ),
        "zh_detail": (
            "手机快没电了",
            "有一个孕妇",
            "家里还有瘫痪的老人",
            "水流很急不敢出去",
            "已经困了三个小时",
            "周围没有船",
            "请派冲锋舟",
            "求求你们快来",
        ),
        "en": (
            "the ground floor is flooded to waist height",
            "someone is trapped in a car and the water is rising",
            "our village is cut off by the flood",
            "an old woman is stuck in her cottage with water up to the bed",
            "the underground car park flooded and someone hasn't come out",
            "we are stranded on the roof",
            "children are stuck at school by the flood water",
            "a car stalled in the underpass and the driver is on its roof",
        ),
        "en_detail": (
            "my phone battery is almost dead",
            "one of us is pregnant",
            "there's a bedridden grandfather",
            "the current is too strong to wade",
            "we've been trapped for three hours",
            "there are no boats anywhere",
            "please send a rescue boat",
            "please hurry",
        ),
        "cross": (),
    },
    "fire_hazard": {
        "zh": (
            "楼道里电动车充电拉飞线",
            "消防通道被车堵死了",
            "安全出口被锁住了",
            "小区消防栓没有水",
            "楼下仓库堆了很多易燃物",
            "隔离酒店的灭火器都过期了",
            "有人在楼道里烧纸",
            "商场的消防门被货物挡住",
        ),
        "zh_detail": (
            "真着火了根本跑不出去",
            "物业说过好几次没用",
            "住了好几百户人",
            "晚上一直充电",
            "消防车根本进不来",
            "已经冒过一次烟",
            "里面有很多老人",
            "请消防部门来检查",
        ),
        "en": (
            "people charge e-bikes in the stairwell with trailing cables",
            "cars have blocked the fire lane completely",
            "the emergency exit is padlocked",
            "the fire hydrants in our compound have no water",
            "a warehouse downstairs is stacked with flammables",
            "the fire extinguishers in the quarantine hotel are expired",
            "someone burns paper offerings in the stairwell",
            "goods are piled against the mall's fire doors",
        ),
        "en_detail": (
            "we couldn't escape in a fire",
            "management ignores our complaints",
            "hundreds of families live here",
            "they charge overnight",
            "a fire engine couldn't get in",
            "there has already been smoke once",
            "many elderly people are inside",
            "please send fire inspectors",
        ),
        "cross": (
            (
                "housing",
                "楼道堆满杂物物业就是不清理",
                "the corridors are full of junk and management won't clear it",
            ),
        ),
    },
    "gas_leak": {
        "zh": (
            "楼道里有很浓的煤气味",
            "邻居家好像燃气泄漏了",
            "路边燃气管道被挖断了",
            "家里燃气表在嘶嘶响",
            "餐馆后面的液化气罐在漏气",
            "燃气管道被洪水冲开了",
            "单元门一开就是一股臭鸡蛋味的燃气味",
            "施工队把燃气管挖破了",
        ),
        "zh_detail": (
            "已经开窗通风了",
            "邻居家敲门没人应",
            "大家都跑到楼下了",
            "不敢开灯",
            "味道越来越重",
            "燃气公司电话打不通",
            "旁边还有人抽烟",
            "请马上派人",
        ),
        "en": (
            "there's a strong smell of gas in the stairwell",
            "I think the neighbour's flat has a gas leak",
            "a gas main by the road has been dug through",
            "our gas meter is hissing",
            "the LPG cylinders behind a restaurant are leaking",
            "the flood ripped open a gas pipe",
            "the whole entrance smells of gas",
            "workmen broke a gas pipe while digging",
        ),
        "en_detail": (
            "we've opened the windows",
            "nobody answers next door",
            "everyone has gone downstairs",
            "we don't dare switch on lights",
            "the smell is getting stronger",
            "the gas company line is busy",
            "someone nearby is smoking",
            "please send someone now",
        ),
        "cross": (),
    },
    "evacuation": {
        "zh": (
            "接到转移通知但不知道去哪个安置点",
            "安置点人太多住不下",
            "转移的大巴一直没来",
            "家里有卧床老人没法自己转移",
            "安置点没有饮用水",
            "想问什么时候能回家",
            "宠物能不能带到安置点",
            "安置点晚上没有灯也没人管",
        ),
        "zh_detail": (
            "村里还有几十户没走",
            "通知只说了今晚",
            "我们没有车",
            "孩子发烧了",
            "担心家里的东西",
            "现场工作人员也说不清",
            "水还在往上涨",
            "请尽快安排",
        ),
        "en": (
            "we were told to evacuate but not which shelter to go to",
            "the shelter is full",
            "the evacuation coach never came",
            "we have a bedridden parent and can't evacuate alone",
            "the shelter has no drinking water",
            "when can we go back home",
            "can pets come to the shelter",
            "the shelter has no lights at night and no staff",
        ),
        "en_detail": (
            "dozens of families in the village haven't left",
            "the notice only said tonight",
            "we have no car",
            "our child has a fever",
            "we worry about our belongings",
            "staff on site don't know either",
            "the water is still rising",
            "please arrange it quickly",
        ),
        "cross": (
            (
                "civil_affairs",
                "安置点缺被子和换洗衣服",
                "the shelter is short of blankets and clean clothes",
            ),
        ),
    },
    "misinformation": {
        "zh": (
            "群里有人说明天全市封城要大家去抢购",
            "网上传水库要垮了",
            "有视频说自来水被污染了",
            "朋友圈说喝板蓝根能防病毒",
            "有人说医院里死了很多人被瞒报",
            "网上有个假的政府通知在传",
            "有人说打疫苗会导致不孕",
            "说超市明天全部关门",
        ),
        "zh_detail": (
            "老人都信了",
            "很多人在转发",
            "超市已经排起长队",
            "到底是不是真的",
            "希望官方赶快辟谣",
            "截图我可以提供",
            "搞得人心惶惶",
            "请核实一下",
        ),
        "en": (
            "people in our group chat say the whole city locks down tomorrow",
            "posts claim the reservoir dam is about to collapse",
            "a video says the tap water has been poisoned",
            "posts say herbal tea prevents the virus",
            "someone claims hospital deaths are being covered up",
            "a fake government notice is circulating",
            "people say the vaccine causes infertility",
            "a message says all supermarkets close tomorrow",
        ),
        "en_detail": (
            "the old folks believe it",
            "lots of people are sharing it",
            "queues are forming at the shops",
            "is it true or not",
            "please publish a clarification",
            "I can send screenshots",
            "everyone is panicking",
            "please check it",
        ),
        "cross": (
            (
                "police",
                "有人在群里冒充防疫人员让大家转账",
                "someone posing as a health official in the group asks people to transfer money",
            ),
        ),
    },
    "policy_inquiry": {
        "zh": (
            "想问外地回来需要隔离几天",
            "想咨询现在出城需要什么证明",
            "健康码变黄了怎么转绿",
            "密接的家属需不需要隔离",
            "想问现在哪些场所可以开门营业",
            "企业复工需要办什么手续",
            "想知道封控区什么时候解封",
            "外地车辆能不能进城",
        ),
        "zh_detail": (
            "官网上没找到",
            "各个社区说法不一样",
            "我明天就要出发",
            "单位让我自己问清楚",
            "老人不会上网查",
            "政策变得太快了",
            "想要一个准确答复",
            "麻烦给个文件依据",
        ),
        "en": (
            "how many days of quarantine after returning from another city",
            "what papers do I need to leave the city now",
            "my health code turned yellow, how do I get it back to green",
            "do family members of a close contact need to isolate",
            "which businesses are allowed to open at the moment",
            "what does a company need to do to restart work",
            "when will the lockdown area be lifted",
            "can cars from other provinces enter the city",
        ),
        "en_detail": (
            "I couldn't find it on the website",
            "every community says something different",
            "I'm leaving tomorrow",
            "my employer told me to ask",
            "old people can't look it up online",
            "the rules change so fast",
            "I need an exact answer",
            "please point me to the document",
        ),
        "cross": (
            (
                "health",
                "核酸检测结果三天了还没出来",
                "my PCR test result still isn't out after three days",
            ),
        ),
    },
}

# Shared parts of the call-taker's note.
ZH_OPENINGS = (
    "",
    "",
    "",
    "市民来电反映：",
    "来电人称",
    "您好，",
    "你好，我想反映个事，",
    "我要投诉，",
    "麻烦问一下，",
    "市民反映",
    "喂，12345吗，",
    "我是附近居民，",
    "我代我妈打的电话，",
    "帮我登记一下，",
    "紧急情况，",
    "再次来电：",
    "我之前打过一次，",
)
ZH_ASKS = (
    "",
    "",
    "请尽快处理。",
    "希望有关部门管一管。",
    "请相关部门核实处理。",
    "麻烦回个电话。",
    "谢谢。",
    "要求给个说法。",
    "请派人来看看。",
    "拜托了。",
    "希望尽快回复。",
    "急！",
)
EN_OPENINGS = (
    "",
    "",
    "Caller reports ",
    "Hello, ",
    "Hi, ",
    "I want to complain: ",
    "Resident says ",
    "Sorry to bother you, ",
    "Urgent: ",
    "Calling again, ",
    "Hello 12345, ",
    "Calling for my parents: ",
)
EN_QUESTION_OPENINGS = ("", "", "Hello, ", "Hi, ", "Quick question: ", "Caller asks: ")
EN_ASKS = (
    "",
    "",
    " Please help.",
    " Please deal with it.",
    " Please call me back.",
    " Thank you.",
    " Can someone come and look?",
    " Please reply soon.",
    " This is urgent!",
    " I want an answer.",
)
ZH_ROADS = (
    "幸福路",
    "建设路",
    "人民路",
    "解放大道",
    "和平街",
    "滨江路",
    "青年路",
    "中山路",
    "学府路",
    "光明路",
    "新华街",
    "东风路",
    "朝阳路",
    "长江路",
    "银杏街",
    "桃源路",
)
EN_ROADS = (
    "Xingfu",
    "Jianshe",
    "Renmin",
    "Jiefang",
    "Heping",
    "Binjiang",
    "Qingnian",
    "Zhongshan",
    "Xuefu",
    "Guangming",
    "Xinhua",
    "Dongfeng",
    "Chaoyang",
    "Changjiang",
    "Yinxing",
    "Taoyuan",
)
ZH_COMPOUNDS = (
    "阳光花园",
    "锦绣小区",
    "翠湖苑",
    "金色家园",
    "东城新村",
    "绿洲小区",
    "和园",
    "滨江花城",
)
EN_COMPOUNDS = (
    "Sunshine Garden",
    "Jinxiu Estate",
    "Cuihu Court",
    "Golden Home",
    "Dongcheng New Village",
)
ZH_LANDMARKS = (
    "人民路和建设路路口",
    "地铁二号线东站门口",
    "中心医院对面",
    "体育馆旁边",
    "江边公园",
    "菜市场后面",
    "实验小学门口",
    "高架桥底下",
    "火车站广场",
    "工业园南门",
)
EN_LANDMARKS = (
    "at the Renmin Road and Jianshe Road junction",
    "outside Metro Line 2 East station",
    "opposite the Central Hospital",
    "next to the stadium",
    "by the riverside park",
    "behind the wet market",
    "outside the Experimental Primary School",
    "under the flyover",
)
# Six-digit area codes in the shape of real ones; the synthetic people are not real.
AREA_CODES = ("440305", "110105", "320102", "510107", "420106", "330106", "370202", "610113")
PHONE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
)

# Heavier categories in each phase of the simulated month: an epidemic wave, a rainstorm, recovery.
PHASES = (
    (
        0,
        10,
        (
            "fever_clinic",
            "vaccination",
            "quarantine_supplies",
            "price_gouging",
            "medical_help",
            "school_closure",
            "online_classes",
            "policy_inquiry",
            "scam",
            "misinformation",
            "elderly_care",
        ),
    ),
    (
        10,
        18,
        (
            "flood_rescue",
            "dam_safety",
            "evacuation",
            "power_outage",
            "fallen_power_line",
            "water_outage",
            "water_quality",
            "sewage",
            "road_damage",
            "building_safety",
            "misinformation",
        ),
    ),
    (
        18,
        28,
        (
            "subsistence_allowance",
            "rent_dispute",
            "property_management",
            "noise",
            "food_safety",
            "fake_goods",
            "public_transport",
            "air_pollution",
        ),
    ),
)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 7, 10, 11, 11, 10, 9, 9, 10, 10, 9, 9, 9, 8, 7, 5, 3, 2)
ID_CATEGORIES = {
    "subsistence_allowance",
    "vaccination",
    "elderly_care",
    "policy_inquiry",
    "rent_dispute",
    "scam",
    "fever_clinic",
    "quarantine_supplies",
}
# Complaints about something at a spot in town, where a caller names a landmark.
LANDMARK_CATEGORIES = {
    "noise",
    "air_pollution",
    "chemical_smell",
    "traffic_signal",
    "crime_report",
    "public_order",
    "road_damage",
    "public_transport",
    "sewage",
    "fallen_power_line",
    "fire_hazard",
    "gas_leak",
    "flood_rescue",
    "price_gouging",
    "food_safety",
    "water_outage",
    "power_outage",
    "medical_help",
}
QUESTION_WORDS = ("how ", "what ", "when ", "which ", "do ", "does ", "can ", "will ", "is ")
ORDER_CATEGORIES = {"price_gouging", "fake_goods", "food_safety", "scam", "quarantine_supplies"}


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2, as in crisisgov.directory.idnumber (not imported: this layer is pure)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _id_first17(rng: random.Random) -> str:
    birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(365 * 77))
    return f"{rng.choice(AREA_CODES)}{birth:%Y%m%d}{rng.randrange(1000):03d}"


def valid_id(rng: random.Random) -> str:
    first17 = _id_first17(rng)
    return first17 + check_character(first17)


def invalid_id(rng: random.Random) -> str:
    first17 = _id_first17(rng)
    wrong = [c for c in "0123456789" if c != check_character(first17)]
    return first17 + rng.choice(wrong)


def phone(rng: random.Random) -> str:
    digits = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    style = rng.random()
    if style < 0.1:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style < 0.2:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return digits


def home_address(rng: random.Random, lang: str) -> str:
    building, room = rng.randint(1, 30), rng.randint(1, 33) * 100 + rng.randint(1, 6)
    if lang == "zh":
        if rng.random() < 0.5:
            return f"{rng.choice(ZH_ROADS)}{rng.randint(1, 399)}号{building}栋{room}"
        return f"{rng.choice(ZH_COMPOUNDS)}{building}栋{rng.randint(1, 4)}单元{room}室"
    if rng.random() < 0.5:
        return (
            f"Room {room}, Building {building}, {rng.randint(1, 399)} {rng.choice(EN_ROADS)} Road"
        )
    return f"Flat {room}, Block {building}, {rng.choice(EN_COMPOUNDS)}"


def _timestamps(rng: random.Random) -> list[dt.datetime]:
    days = [1.0] * DAYS
    for day in range(11, 16):  # the rainstorm brings a surge of calls
        days[day] = 1.8
    moments = []
    for _ in range(COUNT):
        day = rng.choices(range(DAYS), weights=days)[0]
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moments.append(START + dt.timedelta(days=day, hours=hour, seconds=rng.randrange(3600)))
    return sorted(moments)


def _category(rng: random.Random, day: int) -> str:
    codes = list(BANKS)
    boosted = next(cats for start, end, cats in PHASES if start <= day < end)
    return rng.choices(codes, weights=[4 if c in boosted else 1 for c in codes])[0]


def _not_pii(rng: random.Random, lang: str, moment: dt.datetime) -> tuple[str, str, str]:
    """(kind, substring, sentence around it) — a number that is not personal data."""
    kind = rng.choice(("order_number", "order_number", "invalid_id_number", "date", "reference"))
    if kind == "order_number":
        value = f"{moment:%Y%m%d}{rng.randrange(10**9):09d}"
        return kind, value, (f"订单号{value}" if lang == "zh" else f"order no. {value}")
    if kind == "invalid_id_number":
        value = invalid_id(rng)
        text = (
            f"系统里登记的号码是{value}，说校验不通过"
            if lang == "zh"
            else (f"the system says number {value} fails its check")
        )
        return kind, value, text
    if kind == "date":
        day = moment - dt.timedelta(days=rng.randint(1, 5))
        value = f"{day:%Y-%m-%d}" if lang == "en" else f"{day.year}年{day.month}月{day.day}日"
        return kind, value, (f"{value}开始的" if lang == "zh" else f"since {value}")
    # a bank or parcel reference: 15 digits starting "13", with phone-shaped runs inside
    value = "13" + f"{rng.randrange(10**13):013d}"
    return "reference", value, (f"流水号{value}" if lang == "zh" else f"reference {value}")


def _compose(rng: random.Random, code: str, lang: str, moment: dt.datetime) -> dict:
    bank = BANKS[code]
    department_override = None
    if bank["cross"] and rng.random() < 0.11:
        department_override, zh_core, en_core = rng.choice(bank["cross"])
        core = zh_core if lang == "zh" else en_core
    else:
        core = rng.choice(bank[lang])
    detail = rng.choice(bank[f"{lang}_detail"]) if rng.random() < 0.8 else ""
    pii: list[dict] = []
    not_pii: list[dict] = []

    place = ""
    roll = rng.random()
    if roll < 0.22:
        address = home_address(rng, lang)
        pii.append({"kind": "address", "text": address})
        place = (
            (rng.choice(("我家在", "住址：", "我住")) + address + "，")
            if lang == "zh"
            else (f"I live at {address}; ")
        )
    elif roll < 0.5 and code in LANDMARK_CATEGORIES:
        place = rng.choice(ZH_LANDMARKS) + "，" if lang == "zh" else rng.choice(EN_LANDMARKS) + ", "

    extras = []
    if (code in ORDER_CATEGORIES and rng.random() < 0.35) or rng.random() < 0.04:
        kind, value, sentence = _not_pii(rng, lang, moment)
        not_pii.append({"kind": kind, "text": value})
        extras.append(sentence)
    if (code in ID_CATEGORIES and rng.random() < 0.3) or rng.random() < 0.02:
        number = valid_id(rng)
        pii.append({"kind": "id_number", "text": number})
        extras.append(
            rng.choice(("身份证号", "我的身份证是", "证件号")) + number
            if lang == "zh"
            else f"my ID number is {number}"
        )
    if rng.random() < 0.34:
        number = phone(rng)
        pii.append({"kind": "phone", "text": number})
        extras.append(
            rng.choice(("我电话", "联系电话", "回电请打", "手机")) + number
            if lang == "zh"
            else rng.choice(("call me back on ", "my number is ", "phone ")) + number
        )

    if lang == "zh":
        text = rng.choice(ZH_OPENINGS) + place + core + ("，" + detail if detail else "")
        text += "".join("，" + extra for extra in extras) + "。" + rng.choice(ZH_ASKS)
    else:
        question = core.startswith(QUESTION_WORDS)
        opening = rng.choice(EN_QUESTION_OPENINGS if question else EN_OPENINGS)
        if question:  # the detail follows as its own sentence
            sentence = place + core + "?" + (f" {detail[0].upper()}{detail[1:]}." if detail else "")
        else:
            sentence = place + core + (", " + detail if detail else "") + "."
        if opening in ("Caller reports ", "Resident says ") and rng.random() < 0.5:
            sentence = "that " + sentence
        if not opening or opening.endswith(": "):
            sentence = sentence[0].upper() + sentence[1:]
        text = opening + sentence + "".join(f" {extra[0].upper()}{extra[1:]}." for extra in extras)
        text += rng.choice(EN_ASKS)
    return {"text": text, "pii": pii, "not_pii": not_pii, "department": department_override}


def generate(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    department_of = {c["code"]: c["department"] for c in _catalogue()}
    urgent_limit = {c["code"] for c in _catalogue() if c["time_limit"] == "urgent_2h"}
    rows: list[dict] = []
    seen: set[str] = set()
    for number, moment in enumerate(_timestamps(rng), start=1):
        code = _category(rng, (moment - START).days)
        lang = "zh" if rng.random() < 0.85 else "en"
        parts = _compose(rng, code, lang, moment)
        # a call-taker's note is short, and no two calls are worded identically
        while not MIN_LENGTH <= len(parts["text"]) <= MAX_LENGTH or parts["text"] in seen:
            parts = _compose(rng, code, lang, moment)
        seen.add(parts["text"])
        urgent = rng.random() < (0.85 if code in urgent_limit else 0.07)
        rows.append(
            {
                "id": f"T{number:04d}",
                "received_at": moment.isoformat(),
                "district": rng.choice(DISTRICTS),
                "category": code,
                "department": parts["department"] or department_of[code],
                "urgency": "urgent" if urgent else "normal",
                "lang": lang,
                "text": parts["text"],
            }
        )
        # Only tickets that have them carry the lists, to keep the committed file small.
        if parts["pii"]:
            rows[-1]["pii"] = parts["pii"]
        if parts["not_pii"]:
            rows[-1]["not_pii"] = parts["not_pii"]
    return rows


def _catalogue() -> list[dict]:
    path = Path(__file__).resolve().parent / "categories.json"
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path = OUTPUT, seed: int = SEED) -> None:
    lines = [json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in generate(seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
