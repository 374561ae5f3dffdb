"""Name lists for the synthetic city: residents, areas, roads and organisations.

Surname weights are rounded shares (per cent) of the population as published in national
surname rankings; they only need to make common names common. Place words are generic and
paired with their pinyin so every area has a Chinese and an English name.
"""

from __future__ import annotations

# (surname, weight): the most common surnames, with a few compound ones for realism.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 5.2), ("李", 5.1), ("张", 4.9), ("刘", 3.9), ("陈", 3.1), ("杨", 2.2), ("黄", 1.9),
    ("赵", 1.5), ("吴", 1.4), ("周", 1.4), ("徐", 1.1), ("孙", 1.1), ("马", 1.0), ("朱", 1.0),
    ("胡", 0.9), ("郭", 0.9), ("何", 0.8), ("林", 0.8), ("高", 0.8), ("罗", 0.7), ("郑", 0.7),
    ("梁", 0.6), ("谢", 0.6), ("宋", 0.5), ("唐", 0.5), ("许", 0.5), ("韩", 0.5), ("冯", 0.5),
    ("邓", 0.5), ("曹", 0.5), ("彭", 0.4), ("曾", 0.4), ("肖", 0.4), ("田", 0.4), ("董", 0.4),
    ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.3), ("余", 0.3), ("杜", 0.3),
    ("叶", 0.3), ("程", 0.3), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.2), ("汪", 0.2), ("范", 0.2), ("金", 0.2), ("石", 0.2), ("廖", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("韦", 0.2), ("付", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2),
    ("熊", 0.2), ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.2),
    ("段", 0.2), ("雷", 0.2), ("侯", 0.2), ("龙", 0.2), ("史", 0.2), ("陶", 0.1), ("黎", 0.1),
    ("贺", 0.1), ("顾", 0.1), ("毛", 0.1), ("郝", 0.1), ("龚", 0.1), ("邵", 0.1), ("万", 0.1),
    ("钱", 0.1), ("严", 0.1), ("覃", 0.1), ("武", 0.1), ("戴", 0.1), ("莫", 0.1), ("孔", 0.1),
    ("向", 0.1), ("汤", 0.1), ("欧阳", 0.05), ("上官", 0.01), ("司马", 0.01), ("诸葛", 0.005),
)  # fmt: skip

# Characters of given names, by the sex they are mostly given to, and some used for both.
GIVEN_MALE = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志文博晨轩睿哲豪泽航铭皓毅峰成"
    "锋海东亮兵荣坤彬政翔鸿瑞鸣"
)
GIVEN_FEMALE = (
    "芳娜敏静丽艳娟霞秀燕玲桂丹萍红梅琳婷雪慧颖倩洁琴云莉欣怡佳悦雨涵萱诗梓馨思彤月晶璐蕾薇瑶琪"
    "岚淑珍凤兰英"
)
GIVEN_EITHER = "子一嘉安乐可心天新语若清"

ENGLISH_MALE = (
    "James", "John", "Robert", "Michael", "David", "William", "Richard", "Thomas", "Daniel",
    "Matthew", "Andrew", "Peter", "Paul", "Mark", "George", "Samuel", "Oliver", "Lucas",
    "Ethan", "Noah",
)  # fmt: skip
ENGLISH_FEMALE = (
    "Mary", "Emma", "Olivia", "Sophia", "Sarah", "Emily", "Anna", "Laura", "Grace", "Lucy",
    "Hannah", "Chloe", "Julia", "Alice", "Claire", "Rachel", "Kate", "Amelia", "Ella", "Mia",
)  # fmt: skip
ENGLISH_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Hall", "Young", "King", "Wright", "Green", "Baker", "Adams", "Nelson", "Carter",
    "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
    "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Bailey",
    "Reed", "Kelly", "Howard", "Schmidt", "Dubois",
)  # fmt: skip

PROVINCE = ("演练省", "Drill Province")
CITY = ("临江市", "Linjiang")

# District names of the fictional city (zh, pinyin); a city has at most this many districts.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("滨湖", "Binhu"), ("云溪", "Yunxi"), ("望江", "Wangjiang"), ("清源", "Qingyuan"),
    ("长乐", "Changle"), ("安澜", "Anlan"), ("桂湖", "Guihu"), ("梧桐", "Wutong"),
    ("鹤鸣", "Heming"), ("晴川", "Qingchuan"), ("瑞丰", "Ruifeng"), ("柳浪", "Liulang"),
)  # fmt: skip

# Generic place words for streets, communities, residential areas and roads (zh, pinyin).
PLACE_WORDS: tuple[tuple[str, str], ...] = (
    ("青山", "Qingshan"), ("和平", "Heping"), ("长丰", "Changfeng"), ("白沙", "Baisha"),
    ("东湖", "Donghu"), ("南湖", "Nanhu"), ("桃园", "Taoyuan"), ("柳林", "Liulin"),
    ("杨园", "Yangyuan"), ("花桥", "Huaqiao"), ("石桥", "Shiqiao"), ("新华", "Xinhua"),
    ("民主", "Minzhu"), ("建设", "Jianshe"), ("友谊", "Youyi"), ("胜利", "Shengli"),
    ("光明", "Guangming"), ("幸福", "Xingfu"), ("团结", "Tuanjie"), ("红旗", "Hongqi"),
    ("文昌", "Wenchang"), ("紫阳", "Ziyang"), ("凤凰", "Fenghuang"), ("龙泉", "Longquan"),
    ("金桥", "Jinqiao"), ("银湖", "Yinhu"), ("翠柳", "Cuiliu"), ("梅岭", "Meiling"),
    ("竹林", "Zhulin"), ("松涛", "Songtao"), ("荷塘", "Hetang"), ("清河", "Qinghe"),
    ("北湖", "Beihu"), ("西园", "Xiyuan"), ("东亭", "Dongting"), ("南岸", "Nan'an"),
    ("江滩", "Jiangtan"), ("沙洲", "Shazhou"), ("鹦鹉", "Yingwu"), ("丹桂", "Dangui"),
    ("玉泉", "Yuquan"), ("锦绣", "Jinxiu"), ("春华", "Chunhua"), ("秋实", "Qiushi"),
    ("兴业", "Xingye"), ("丰泽", "Fengze"), ("瑞景", "Ruijing"), ("万松", "Wansong"),
    ("水岸", "Shui'an"), ("书院", "Shuyuan"), ("珞珈", "Luojia"), ("碧波", "Bibo"),
    ("枫林", "Fenglin"), ("百步", "Baibu"), ("朝阳", "Chaoyang"), ("永安", "Yong'an"),
    ("长青", "Changqing"), ("育才", "Yucai"), ("汇通", "Huitong"), ("宝丰", "Baofeng"),
)  # fmt: skip

RESIDENTIAL_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("花园", "Garden"), ("小区", "Estate"), ("苑", "Court"), ("家园", "Homes"),
    ("新村", "New Village"),
)  # fmt: skip
ROAD_SUFFIXES: tuple[tuple[str, str], ...] = (("路", "Road"), ("街", "Street"), ("大道", "Avenue"))

# Departments: (department type, city name, district name, English name).
DEPARTMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("health_commission", "卫生健康委员会", "卫生健康局", "Health Commission"),
    ("emergency_management", "应急管理局", "应急管理局", "Emergency Management Bureau"),
    ("civil_affairs", "民政局", "民政局", "Civil Affairs Bureau"),
    ("public_security", "公安局", "公安分局", "Public Security Bureau"),
    ("transport", "交通运输局", "交通运输局", "Transport Bureau"),
    ("market_regulation", "市场监督管理局", "市场监督管理局", "Market Regulation Administration"),
    ("publicity", "委宣传部", "委宣传部", "Publicity Department"),
)
COMMAND_CENTRE = ("突发公共事件应急指挥部", "Public Crisis Command Centre")
HOSPITALS: tuple[tuple[str, str], ...] = (
    ("人民医院", "People's Hospital"),
    ("中医医院", "Hospital of Traditional Chinese Medicine"),
)
PHARMACIES: tuple[tuple[str, str], ...] = (
    ("大药房", "Pharmacy"),
    ("便民药店", "Neighbourhood Pharmacy"),
)
TESTING_SITE = ("核酸检测点", "Testing Site")
NGOS: tuple[tuple[str, str], ...] = (
    ("红十字会", "Red Cross Society"),
    ("慈善总会", "Charity Federation"),
    ("志愿者协会", "Volunteers Association"),
)
COMPANIES: tuple[tuple[str, str], ...] = (
    ("物流有限公司", "Logistics Co., Ltd."),
    ("医药集团有限公司", "Pharmaceutical Group Co., Ltd."),
    ("公共交通集团有限公司", "Public Transport Group Co., Ltd."),
)
