"""A second hand-written check of the model the demo trains (issue 11): 82 complaints
put as residents put them on the phone or type them into a mini-program — symptoms
and consequences rather than the category's word, no punctuation, slips of pinyin
input, rambling accounts with a side complaint, one-line notes — and the known
confusers between neighbouring categories (学校/门口/安全 that are not 校园周边安全,
a 烧烤 shop's kitchen smoke that is 餐饮油烟, a 工地's noise vs its dust, 渣土 on the
road, a neighbour's noise vs a shop's, parking inside a 小区 vs on a public road).

Written for this file before the generator's fourth bank (workorders/demo/colloquial.py,
``FOURTH``) was written, and not from it: nothing here is copied from a generator bank or
from any evaluation set, and the generator is never measured against itself here."""

from __future__ import annotations

import random

import numpy as np
import pytest

from triage import model as ml
from workorders.demo import corpus
from workorders.demo.data import CATEGORIES

NAMES = [m[0] for _code, _major, minors in CATEGORIES for m in minors]

# (text, minor category), written for this file.
HAND = [
    # 市容环境
    ("菜场门口那几个卖鸡蛋的把三轮横在人行道上 推小车的老太太都过不去", "占道经营"),
    ("五楼那家把腌菜的大缸和旧沙发全搁在楼梯平台上了，晚上下楼差点绊一跤", "乱堆乱放"),
    ("咱们胡同的垃圾桶一个礼拜没人倒了 臭味熏得窗户都不敢开", "垃圾清运不及时"),
    ("电梯轿厢里又被贴了一溜疏通管道开锁换锁的纸条，撕都撕不下来", "小广告"),
    ("马路牙子上有人支个铁架子烤腰子，炭烟呛得人直咳嗽，一直闹到夜里一点", "露天烧烤"),
    ("早上上班发现主路上一溜黄土，应该是夜里拉土的大车掉的，车一过尘土飞扬", "道路遗撒"),
    ("地铁站外面那个公共厕所进去就没法下脚 洗手池也没水", "公厕管理"),
    # 违法建设
    ("顶层那户在楼顶用砖又砌了两间屋子还装了窗户，这算不算违建，有没有人管", "违章建筑"),
    ("一楼的在自家窗户外面搭了个铁皮棚子放电动车 把过道占了一半", "私搭乱建"),
    ("十字路口那家饭店的门头字掉了一个，剩下的也晃晃悠悠，大风天走底下特别吓人", "户外广告牌匾"),
    ("有人在楼前空地上装了几个带锁的铁架子占着地方，别人的车停不进去", "地桩地锁"),
    ("对门那套房住了不知道多少人天天换面孔，屋里全是上下床，还用电炉子做饭", "群租房"),
    # 物业管理
    ("交了物业费楼道灯坏半年没人换 绿化带草长得比人高 物业电话永远占线", "物业服务"),
    ("3号楼的电梯又趴窝了，我八十岁的老母亲住十六层，下不了楼看病", "电梯故障"),
    ("我们院里业主的车位被外面来的车占了，保安也不拦，每天回家都得在院里转好几圈", "小区停车"),
    ("我们楼外墙保温层大片脱落，想动用公共维修基金，不知道找谁申请，流程是啥", "专项维修资金"),
    ("屋里暖气片摸着跟没开一样 穿着棉袄在屋里还哆嗦", "供暖不热"),
    ("楼上一洗澡我家卫生间顶上就滴答滴答往下滴，石膏板都泡烂了", "房屋漏水"),
    # 市政设施
    ("小区外面那条道晚上一片黑，路边的灯杆一个都不亮，走夜路吓人", "路灯不亮"),
    ("过街天桥下面那段柏油路起了好几个大包还有个深坑 电动车一过就颠", "道路破损"),
    ("人行道上有个井该没了只剩个洞上面就搭了块破木板", "井盖缺失"),
    ("楼道里一股臭鸡蛋味，怀疑哪家漏气了，天然气公司的电话打不通", "燃气问题"),
    ("今天一早拧开水龙头出来的水发黄，还有股铁锈味，没敢喝", "停水及水质"),
    ("一下雨我们这个路口就淹了，地漏往上冒黑水，污水没到脚脖子", "排水管道堵塞"),
    # 交通出行
    ("有辆大货车天天停在公交站台那儿，公交车进不了站，乘客只能跑到马路中间上车", "违章停车"),
    ("有人把车横在我们小区出口外边的马路上 车出不去 挪车电话也不接", "违章停车"),
    ("路口那个红灯一直亮着不变，绿灯就亮几秒，车排老长", "交通信号灯故障"),
    ("小学门口的红绿灯坏了好几天了，接孩子的时候特别不安全", "交通信号灯故障"),
    ("每天早上学校开门那会儿家长的车把整条街都堵死了，十分钟挪不了一百米", "道路拥堵"),
    ("新修的路没画线也没有限速牌，车开得飞快", "交通标志标线"),
    ("地铁口的共享电单车堆得像小山，盲道都被压住了", "共享单车乱停"),
    # 生态环境
    ("对面工地凌晨还在浇筑混凝土，机器轰隆隆地响，一宿没睡着", "施工噪音"),
    ("工地那边电锯切割一直响到夜里十一点多 燥音太大了", "施工噪音"),
    ("楼下新开的KTV天天唱到后半夜，低音炮震得玻璃都响", "商业噪音"),
    ("小区门口的健身操队伍每天晚上七点准时放音乐，声音开到最大，孩子没法写作业", "商业噪音"),
    ("附近那个厂子的烟囱天天冒黑烟，晾的衣服上都是黑点", "大气污染"),
    ("楼底下烧烤店后厨的排风口正对着我家，油烟味呛得开不了窗", "餐饮油烟"),
    ("旁边工地的土堆没盖网，风一刮黄土漫天，停在外面的车落了一层灰", "工地扬尘"),
    ("小河沟里的水发绿发臭，还有人往里排脏水，死鱼漂了一片", "河道水体污染"),
    # 市场监管
    ("在家附近小饭馆吃完饭全家上吐下泻，怀疑菜不干净", "食品安全"),
    ("超市价签写的九块九，结账的时候扣了十五块", "价格投诉"),
    ("网上买的冰箱送来就是坏的，商家不给换也不给退，互相踢皮球", "消费纠纷"),
    ("孩子的游泳课充了三千块，店突然关门了，老板联系不上，钱怎么要回来", "预付卡退费"),
    ("巷子里开了个修车铺，门口连个执照都没挂，问他说没办", "无照经营"),
    ("药店门口贴海报说他们的保健品能治高血压糖尿病，这不是骗老人吗", "虚假广告"),
    # 劳动社保
    ("在工地干了半年活，包工头拿着钱跑了，我们十几个人的血汗钱一分没拿到", "拖欠工资"),
    ("换了工作以后社保断了两个月，想补缴不知道去哪办，医保卡也用不了了", "社会保险"),
    ("公司让我签的合同里没写工资数，现在要辞退我还不给补偿", "劳动合同纠纷"),
    ("大学毕业还没找到工作，听说街道有招聘会，想问问怎么报名，有没有技能培训", "就业服务"),
    ("我父亲的退休金这个月没打到卡上，去银行查也没有", "养老金发放"),
    # 卫生健康
    ("在区医院急诊等了四个小时没人管，护士态度还特别冲", "医疗服务"),
    ("孩子该打百白破第二针了，社区医院说没苗，让我们等通知", "疫苗接种"),
    ("小区底商有个所谓的诊所没有资质，给人输液扎针，好多老人去", "非法行医"),
    ("网吧里烟雾缭绕一进去就被熏得睁不开眼也没人管", "公共场所控烟"),
    ("住院清单上有好几项检查根本没做也收了钱", "医疗收费"),
    # 教育
    ("楼里开了个补习班，周末上课，好像没资质，一次收好几千", "校外培训"),
    ("我们户口在这边但房子是租的，孩子明年上小学能不能在这片入学", "入学政策"),
    ("学校让每个学生交五百块买校服和资料，说是自愿的但不交不行", "学校收费"),
    ("幼儿园老师吼孩子，孩子回家说中午不让睡觉还罚站", "幼儿园管理"),
    ("学校后门放学的时候总有几个社会青年堵着学生要钱", "校园周边安全"),
    ("学校门口那段路的路灯坏了，晚自习下课孩子摸黑回家", "路灯不亮"),
    # 社区治理
    ("楼上邻居每天半夜拖椅子蹦蹦跳跳，上去说了还骂人", "邻里纠纷"),
    ("小区里野猫越来越多，晚上叫得跟小孩哭似的", "流浪动物"),
    ("有人遛狗不拴绳，大狗冲着孩子扑过来，狗屎也不捡", "养犬管理"),
    ("社区活动室一直锁着门，院里的健身器材坏了也没人修", "社区服务设施"),
    ("我家老人八十多了想在卫生间装个扶手，听说有政府补贴的改造，怎么申请", "适老化改造"),
    ("坐轮椅出门太难了，路口没有坡道，盲道上还停着车", "无障碍设施"),
    # 政策咨询
    ("孩子出生了想在这边上户口，需要带什么材料去哪个派出所", "户籍办理"),
    ("申请公租房排了两年还没轮到，想问问进度", "住房保障"),
    ("听说六十五岁以上办个老年卡可以免费坐公交，怎么办", "惠民政策"),
    # Confusers said in passing
    ("我家小区门口那块路面塌了一个大坑，昨天一辆电动车栽进去了", "道路破损"),
    ("学校旁边的小卖部卖三无辣条，孩子吃了肚子疼", "食品安全"),
    # One-liners, rambling calls with a side complaint, the operator's shorthand
    ("楼上天天半夜蹦迪", "邻里纠纷"),
    ("水停了 一滴都没有", "停水及水质"),
    ("家里冻死了暖不热", "供暖不热"),
    ("工钱没给", "拖欠工资"),
    ("狗咬人了没人管吗", "养犬管理"),
    (
        "你好我想反映个事啊，就是我们这个小区吧物业换了以后啥都不管了，这个先不说，主要是我们楼后头那条马路上"
        "不知道谁家的车停在那一个多月了，落满了灰，轮胎都瘪了，也没牌子，占着道，晚上孩子从那过我都担心，"
        "你们能不能给拖走",
        "违章停车",
    ),
    (
        "反映一下哈 我家住顶楼 之前就说过 这次下了三天雨 屋顶那块又湿了一大片 滴到床上了 物业说找开发商"
        " 开发商说过保修期了 我们到底该找谁",
        "房屋漏水",
    ),
    ("市民来电：XX路与XX街交口东南角井盖破损下陷，存在安全隐患，请属地核实。", "井盖缺失"),
    ("来电人称其所在单元楼顶水箱有异味，家中自来水浑浊，要求检测水质。", "停水及水质"),
    ("网格员巡查发现某小区北侧绿地被个人开垦种菜并搭建简易棚架，请处置。", "私搭乱建"),
]


@pytest.fixture(scope="module")
def demo_model() -> ml.TextClassifier:
    """Trained as the demo trains: generated orders of every phrasing, all categories
    equally often (50 each)."""
    rng = random.Random(7)
    samples = []
    for i in range(50 * len(NAMES)):
        name = NAMES[i % len(NAMES)]
        desc = corpus.description(name, rng, others=NAMES)
        title = corpus.title(name, rng, desc)
        samples.append(ml.Sample(desc if desc.startswith(title) else f"{title}。{desc}", "ch:hotline", name))
    return ml.fit(samples)


def _ranked(model: ml.TextClassifier) -> list[list[str]]:
    texts = [t for t, _ in HAND]
    p = model.proba(texts, ["ch:hotline"] * len(texts))
    return [[model.classes[j] for j in np.argsort(-row)[:3]] for row in p]


def test_every_label_is_a_demo_category():
    assert {label for _t, label in HAND} <= set(NAMES)
    assert len(HAND) >= 60


def test_second_hand_written_set_is_ranked_right(demo_model):
    top3 = _ranked(demo_model)
    right = sum(top[0] == label for top, (_t, label) in zip(top3, HAND, strict=True))
    within3 = sum(label in top for top, (_t, label) in zip(top3, HAND, strict=True))
    # Before the fourth bank (demo seeds 7 / 8): 78 and 80 of 82 first, 81 and 82 in the
    # top three. The floor is ~90 % / ~96 %: a few slips allowed, not a regression.
    assert right >= 74, right
    assert within3 >= 79, within3
