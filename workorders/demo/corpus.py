"""Realistic demo texts: what callers say and how operators write it down.

For every minor category a few ways to name the problem and the details people add,
assembled with colloquial openings, durations, impacts and requests, sometimes a second
problem mixed in, sometimes a typo or a homophone, sometimes personal data (a name, a
phone number, a room number) — the things real orders contain and template titles
(反映XX问题) do not. Seeded: the same ``random.Random`` gives the same texts.

These texts feed the demo (and so the demo's trained model); tests that measure
accuracy use held-out sets written independently, never these.
"""

from __future__ import annotations

import random
import re

from workorders.demo.colloquial import EXTRA, FOURTH
from workorders.demo.phrases import MORE

# name → (titles, problems, details)
PHRASES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "占道经营": (
        ["门口摆摊占道", "早市摊贩占人行道", "流动摊贩堵路"],
        [
            "有人在人行道上摆摊卖菜",
            "一到傍晚就有三轮车停在路边卖水果",
            "小贩把摊子支到了马路上",
            "早市的摊位都摆到盲道上了",
            "烤红薯的推车天天占着路口",
        ],
        ["行人只能走机动车道", "电动车根本过不去", "收摊后满地菜叶子"],
    ),
    "乱堆乱放": (
        ["楼道堆满杂物", "消防通道堆放废品", "楼下乱堆东西"],
        ["楼道里堆了好多纸箱和旧家具", "有住户在单元门口堆废品", "消防通道被人堆了建材", "楼梯拐角放了好几辆破自行车"],
        ["万一着火人都跑不出去", "有味还招老鼠", "说了好几次也不挪"],
    ),
    "垃圾清运不及时": (
        ["垃圾桶满了没人清", "垃圾站臭气熏天", "垃圾好几天没拉走"],
        [
            "小区垃圾桶都满出来了没人清运",
            "垃圾站的垃圾三四天没拉走",
            "厨余垃圾桶溢出来流了一地汤水",
            "垃圾车来得特别晚，桶边堆成山",
        ],
        ["夏天臭得开不了窗", "苍蝇蚊子特别多", "野猫把垃圾袋都扒开了"],
    ),
    "小广告": (
        ["电线杆贴满小广告", "墙上喷涂办证号码", "楼道被贴小广告"],
        [
            "单元门和电梯里贴满了开锁通下水的小广告",
            "墙上被人喷了办证的电话号码",
            "电线杆上的牛皮癣一层摞一层",
            "有人往车窗上夹小卡片",
        ],
        ["刚清完第二天又贴上了", "看着特别脏", "白墙都花了"],
    ),
    "露天烧烤": (
        ["路边露天烧烤", "夜市烧烤烟熏", "楼下撸串摊"],
        [
            "楼下有家店每天晚上在外面支炉子烤串",
            "路边露天烧烤一直弄到半夜两点",
            "夜市摊位用炭火烤肉烟特别大",
            "有人在小区空地上烤羊肉串",
        ],
        ["烟全往楼上窗户里灌", "喝酒划拳吵得睡不着", "炭火就在车旁边挺危险"],
    ),
    "道路遗撒": (
        ["渣土车遗撒", "路面撒满泥土", "运输车掉沙子"],
        [
            "渣土车经过撒了一路土",
            "拉沙子的车没盖苫布，路上全是沙",
            "一到晚上就有大车往路上掉泥块",
            "路面被运输车遗撒的泥浆糊满了",
        ],
        ["骑车的差点滑倒", "下雨全是泥汤", "一刮风满天土"],
    ),
    "公厕管理": (
        ["公厕太脏", "公共厕所锁门", "公厕没水冲"],
        ["公园边上的公共厕所脏得没法进", "公厕白天也锁着门", "公共卫生间冲水坏了好几天", "公厕里的灯坏了晚上黑乎乎"],
        ["味道老远就闻到", "老人孩子着急没地方上", "也没人打扫"],
    ),
    "违章建筑": (
        ["顶楼加盖违建", "楼顶搭钢结构房", "私自扩建房屋"],
        [
            "顶楼住户在楼顶盖了一间房",
            "一楼业主把院子扩建成了砖房",
            "有人在楼顶搭彩钢房还在继续施工",
            "隔壁在平房上又加盖了一层",
        ],
        ["担心楼板承重出事", "挡了我们家采光", "白天晚上都在干活"],
    ),
    "私搭乱建": (
        ["院里私搭棚子", "绿地被圈占", "私自搭建围墙"],
        [
            "一楼住户私自圈了绿地种菜还搭了棚子",
            "有人在楼下搭了个简易房堆东西",
            "邻居把公共过道用围墙圈起来了",
            "小区空地被人用铁皮围起来",
        ],
        ["大家都没法走了", "社区说过不管用", "越搭越大"],
    ),
    "户外广告牌匾": (
        ["广告牌松动", "招牌要掉下来", "灯箱歪了"],
        [
            "临街商铺的大招牌歪了眼看要掉",
            "楼顶的广告牌被风吹得晃",
            "一个灯箱的螺丝都锈断了",
            "门头牌匾一角已经耷拉下来",
        ],
        ["下面天天有人走", "刮大风更吓人", "砸到人怎么办"],
    ),
    "地桩地锁": (
        ["私装地锁", "地桩占车位", "公共车位装锁"],
        [
            "有人在公共车位上私自装了地锁",
            "楼下路边被装了一排地桩",
            "小区公共区域好几个地锁没人管",
            "地锁不用的时候也锁着占地方",
        ],
        ["车没地方停", "晚上看不见还绊人", "物业说管不了"],
    ),
    "群租房": (
        ["群租房隔断", "一套房住十几个人", "二房东打隔断"],
        [
            "楼上一套三居室隔成了七八间出租",
            "对门住了十几个人上下铺",
            "二房东把客厅都打了隔断",
            "这户天天人来人往像小旅馆",
        ],
        ["用电负荷大怕着火", "半夜进进出出很吵", "楼道卫生特别差"],
    ),
    "物业服务": (
        ["物业不作为", "物业保洁不到位", "保安形同虚设"],
        ["物业公司收了钱什么都不管", "楼道好几个月没人打扫", "门口保安从来不登记外来人员", "报修物业一直拖着不来"],
        ["打物业电话没人接", "找物业经理也见不到", "业主都很有意见"],
    ),
    "电梯故障": (
        ["电梯坏了", "电梯困人", "电梯经常停运"],
        [
            "单元电梯又坏了停了三天",
            "今天早上电梯把人困里面半小时",
            "电梯运行的时候咣当咣当响",
            "电梯门关不严还老是突然停",
        ],
        ["家里有老人下不了楼", "每层都要爬十几层", "维保的人来了也没修好"],
    ),
    "小区停车": (
        ["小区停车难", "停车费乱涨", "外来车占车位"],
        ["小区里外来车随便进停满了", "物业突然把停车费涨了一倍", "买了车位还老被别人占", "消防通道上也停满了业主的车"],
        ["下班回来绕三圈找不到位", "收费也不公示", "问物业就说没办法"],
    ),
    "专项维修资金": (
        ["维修资金用不了", "申请维修基金难", "大修资金问题"],
        [
            "楼顶防水要大修想用维修资金不知道怎么申请",
            "外墙脱落要用专项维修资金，物业说签字不够",
            "维修基金申请了半年还没批",
            "想查一下我们楼的维修资金余额",
        ],
        ["漏得越来越厉害", "业主签字太难凑", "没人牵头"],
    ),
    "供暖不热": (
        ["暖气不热", "屋里太冷", "供暖温度不达标"],
        [
            "家里暖气一点都不热，屋里才十五度",
            "暖气片上热下凉，放了气也不行",
            "整个单元的暖气都是温的",
            "供暖开始一周了我家还是冰凉",
        ],
        ["老人孩子都冻感冒了", "穿着羽绒服在家待着", "供热公司说排队等"],
    ),
    "房屋漏水": (
        ["楼上漏水", "天花板渗水", "墙面发霉渗水"],
        [
            "楼上卫生间漏水把我家天花板泡了",
            "下雨屋顶就往下渗水",
            "厨房墙面一直渗水墙皮都掉了",
            "楼上装修把水管弄坏了一直往下漏",
        ],
        ["找楼上人家不开门", "家具都泡坏了", "墙上全是霉点"],
    ),
    "路灯不亮": (
        ["路灯不亮", "路灯坏了", "小区外路灯黑"],
        ["路口的路灯坏了一个多星期", "这一段路的路灯晚上全黑", "路灯白天亮晚上反而不亮", "路灯一闪一闪的"],
        ["晚上走路心里发毛", "骑车看不见坑", "下夜班回家特别黑"],
    ),
    "道路破损": (
        ["路面坑洼", "人行道砖坏了", "马路塌陷"],
        ["马路中间有个大坑", "人行道的砖翘起来好多块", "路面裂了一道大缝还往下陷", "辅路坑坑洼洼下雨全是积水"],
        ["已经有人骑车摔了", "车开过去颠得厉害", "晚上看不清"],
    ),
    "井盖缺失": (
        ["井盖没了", "井盖破损", "井盖松动"],
        ["路边的井盖不见了就剩个黑窟窿", "井盖碎了一半", "人行道上的井盖踩上去直晃", "雨水井盖被车压塌了"],
        ["小孩掉下去怎么办", "晚上特别危险", "有人拿树枝插着当提醒"],
    ),
    "燃气问题": (
        ["闻到燃气味", "疑似漏气", "燃气不通"],
        [
            "楼道里一股很重的煤气味",
            "家里燃气灶打不着火，燃气公司也联系不上",
            "单元门口天然气管道好像漏气",
            "燃气表突然不走了还停气",
        ],
        ["不敢开火", "很担心爆炸", "邻居也都闻到了"],
    ),
    "停水及水质": (
        ["突然停水", "自来水发黄", "水压太小"],
        ["今天早上突然停水也没通知", "自来水放出来是黄的还有沉淀", "高层水压小得洗不了澡", "停水两天了还没来水"],
        ["做饭都没水", "孩子喝了肚子不舒服", "物业也说不清原因"],
    ),
    "排水管道堵塞": (
        ["下水道堵了", "污水外溢", "管道返水"],
        ["小区下水道堵了污水冒到路面上", "楼下检查井往外冒脏水", "一楼卫生间地漏往上返水", "雨水管道堵了一下雨就淹"],
        ["臭得受不了", "一楼已经进水了", "车都没法走"],
    ),
    "违章停车": (
        ["车辆堵门", "违停占道", "消防通道被占"],
        [
            "有辆车停在我家门口堵着出不去",
            "路边长期停着几辆车占了半条路",
            "消防通道上天天停着私家车",
            "有车停在公交站台前面",
        ],
        ["打挪车电话没人接", "早上上班出不了门", "救护车都进不来"],
    ),
    "交通信号灯故障": (
        ["红绿灯坏了", "信号灯不亮", "红灯时间太长"],
        ["十字路口的红绿灯不亮了", "信号灯一直黄闪", "人行横道的绿灯只有几秒", "路口红绿灯一直是红的不变"],
        ["车和人都乱走", "差点撞上", "高峰期堵成一片"],
    ),
    "道路拥堵": (
        ["路口天天堵", "高峰期拥堵", "上下班堵车"],
        ["每天早高峰这个路口堵得走不动", "学校放学时整条路堵死", "路口左转车道太短排长队", "施工围挡以后这段路天天堵"],
        ["一公里开半小时", "公交也过不去", "希望加派交警"],
    ),
    "共享单车乱停": (
        ["共享单车堆满路口", "单车乱停放", "电单车挡道"],
        [
            "地铁口的共享单车堆得满满当当",
            "小区门口全是共享单车进不去",
            "有人把单车扔在绿化带里",
            "人行道上横七竖八停了一堆电单车",
        ],
        ["轮椅推车都过不去", "企业也不来收", "倒了一地"],
    ),
    "交通标志标线": (
        ["斑马线看不清", "缺少限速牌", "标线磨没了"],
        ["学校门口的斑马线都磨没了", "路口的指示牌被树挡住了", "这条路没有限速标志车开得飞快", "地上的导向箭头画错了"],
        ["外地车经常走错", "孩子过马路很危险", "希望重新画一下"],
    ),
    "施工噪音": (
        ["夜间施工扰民", "工地半夜打桩", "施工噪音大"],
        [
            "工地晚上十一点以后还在施工",
            "凌晨两点还在打桩咣咣响",
            "旁边工地的电锯从早响到晚",
            "夜里混凝土罐车和泵车一直在干",
        ],
        ["根本睡不着觉", "孩子要高考了", "白天也吵得头疼"],
    ),
    "商业噪音": (
        ["广场舞音响太吵", "商铺喇叭扰民", "KTV噪音"],
        ["楼下广场舞音响开得震天响", "商铺门口的大喇叭循环叫卖", "底商的KTV半夜还在唱", "酒吧晚上音乐声特别大"],
        ["一直到晚上十点", "说了也不听", "老人心脏受不了"],
    ),
    "大气污染": (
        ["工厂冒黑烟", "刺鼻废气", "露天焚烧"],
        ["附近工厂晚上偷偷排废气", "有股刺鼻的化工味", "有人在空地上烧垃圾冒黑烟", "烟囱一到夜里就冒黑烟"],
        ["开窗就呛得咳嗽", "衣服都不敢晒外面", "持续好几个月了"],
    ),
    "餐饮油烟": (
        ["饭店油烟扰民", "油烟直排", "排风扇对着窗户"],
        [
            "楼下饭馆的油烟直接往楼上排",
            "餐馆的排风口正对着我家窗户",
            "底商饭店没装油烟净化器",
            "火锅店后厨油烟味特别呛",
        ],
        ["窗户上全是油", "家里一股油烟味", "晚上饭点最厉害"],
    ),
    "工地扬尘": (
        ["工地扬尘大", "土堆没苫盖", "施工灰尘"],
        [
            "工地的土堆都没盖，一刮风全是土",
            "工地出来的车不冲洗带出好多泥",
            "拆迁工地灰尘漫天也不洒水",
            "旁边工地扬尘把我家窗台都盖了一层灰",
        ],
        ["不敢开窗", "车上全是灰", "鼻炎都犯了"],
    ),
    "河道水体污染": (
        ["河水发臭", "有人往河里排污", "河里死鱼"],
        ["小区边上的河水又黑又臭", "有根管子往河里排污水", "河面上漂着好多死鱼", "河道里全是垃圾和泡沫"],
        ["夏天臭得没法散步", "晚上偷偷排", "以前还有人钓鱼"],
    ),
    "食品安全": (
        ["吃了拉肚子", "卖过期食品", "后厨卫生差"],
        ["在一家快餐店吃完全家拉肚子", "超市卖的牛奶已经过期了", "外卖里吃出了虫子", "看到饭店后厨老鼠乱跑"],
        ["找商家不认账", "想让市场监管去查查", "小票还留着"],
    ),
    "价格投诉": (
        ["乱收费", "标价不一致", "结账多收钱"],
        [
            "超市标价和结账价格不一样",
            "停车场收费比公示的高",
            "理发店剪完头说要三百多",
            "药店同一种药比别家贵一倍还不标价",
        ],
        ["感觉被宰了", "店员态度也不好", "希望处理"],
    ),
    "消费纠纷": (
        ["买的东西质量有问题", "商家拒绝退货", "售后不处理"],
        [
            "网上买的冰箱坏了商家不给修",
            "刚买的衣服洗一次就坏了，店里不给退",
            "手机店承诺的赠品不给了",
            "装修公司收了钱干活质量太差",
        ],
        ["找了好几次都推脱", "要求退款", "发票都有"],
    ),
    "预付卡退费": (
        ["健身房跑路", "预付卡退不了", "办卡店关门"],
        [
            "办了健身卡没两个月健身房就关门了",
            "美容院充了五千块现在联系不上老板",
            "孩子的游泳卡要退费机构一直拖",
            "理发店突然换老板说之前的卡不认了",
        ],
        ["卡里还剩好几千", "好多人都被坑了", "要求退钱"],
    ),
    "无照经营": (
        ["无证经营", "黑作坊", "无营业执照"],
        [
            "楼下开了一家小作坊没有执照",
            "居民楼里有人开黑加工点",
            "路边的小饭馆没有营业执照",
            "有人在家里开美甲店不挂执照",
        ],
        ["卫生条件很差", "天天有人进出", "怕出安全问题"],
    ),
    "虚假广告": (
        ["虚假宣传", "保健品骗老人", "广告夸大"],
        [
            "有公司在小区里给老人讲课卖保健品说能治病",
            "培训机构广告说包过结果根本不是",
            "宣传单上写的优惠全是假的",
            "电视购物卖的东西跟说的完全不一样",
        ],
        ["我妈花了一万多", "明显是骗人的", "希望查处"],
    ),
    "拖欠工资": (
        ["拖欠工资", "老板不发工资", "农民工讨薪"],
        ["公司已经三个月没发工资了", "包工头干完活不给钱", "离职半年了工资还没结清", "老板拖着我们十几个人的工钱"],
        ["家里等着用钱", "打电话也不接了", "要过年了"],
    ),
    "社会保险": (
        ["社保断缴", "单位不交社保", "补缴社保"],
        ["单位一直没给我交社保", "社保断缴了两个月想补缴", "查了医保显示停保了", "换工作以后五险一金不知道怎么转"],
        ["影响孩子上学", "窗口说要单位办", "想问问政策"],
    ),
    "劳动合同纠纷": (
        ["被无故辞退", "不签劳动合同", "加班费不给"],
        [
            "公司突然把我辞退了也不给赔偿",
            "干了一年多公司一直不跟我签合同",
            "天天加班到半夜一分加班费没有",
            "试用期被开除还扣了押金",
        ],
        ["想要个说法", "不知道怎么仲裁", "有聊天记录"],
    ),
    "就业服务": (
        ["找工作咨询", "失业登记", "职业培训"],
        ["想问问失业了怎么办理失业登记", "社区有没有招聘会信息", "想报个免费的技能培训", "大学毕业生就业补贴怎么领"],
        ["在哪里办", "需要带什么材料", "网上没查到"],
    ),
    "养老金发放": (
        ["养老金没到账", "退休金算少了", "养老待遇咨询"],
        [
            "这个月的养老金还没到账",
            "退休金比同事少好多觉得算错了",
            "刚退休想问问养老金什么时候开始发",
            "老人去世了养老金停发要办什么手续",
        ],
        ["等着交房租", "问了好几个窗口", "请帮忙查一下"],
    ),
    "医疗服务": (
        ["医生态度差", "医院挂号难", "看病等太久"],
        ["医院医生看病态度特别差", "社区医院挂不上号", "急诊等了三个小时没人管", "护士打针打了好几次都没扎上"],
        ["老人受了气", "希望医院整改", "想投诉"],
    ),
    "疫苗接种": (
        ["疫苗预约不上", "接种点咨询", "狂犬疫苗"],
        ["孩子的疫苗一直约不上", "社区卫生站说没有疫苗了", "被狗咬了想知道哪里打狂犬疫苗", "接种本丢了怎么补"],
        ["快过接种时间了", "电话一直占线", "着急"],
    ),
    "非法行医": (
        ["黑诊所", "无证行医", "游医看病"],
        [
            "小区里有个没牌子的诊所给人打吊瓶",
            "有人在出租屋里给人拔牙",
            "菜市场旁边有游医摆摊看病卖药",
            "一个无证的推拿店给人扎针",
        ],
        ["出了事怎么办", "看着很不卫生", "好多老人去"],
    ),
    "公共场所控烟": (
        ["室内有人吸烟", "控烟不严", "二手烟"],
        ["饭店里好多人抽烟也没人管", "商场楼梯间都是烟味", "网吧里烟雾缭绕", "医院走廊有人吸烟"],
        ["孕妇受不了", "工作人员也不劝阻", "禁烟标志形同虚设"],
    ),
    "医疗收费": (
        ["医院多收费", "医保报销问题", "药费太贵"],
        ["出院结算发现多收了几项检查费", "医保该报销的没给报", "门诊开的药比外面药店贵很多", "医院收了钱检查却没做"],
        ["要求退还", "看不懂收费单", "找医院没人解释"],
    ),
    "校外培训": (
        ["违规补课", "培训机构跑路", "辅导班收费高"],
        [
            "有机构在居民楼里偷偷给小学生补课",
            "课外辅导班收了一年的学费关门了",
            "培训班强制家长一次交好几万",
            "暑假培训班没有资质",
        ],
        ["孩子课还没上完", "负担太重", "希望教委查一下"],
    ),
    "入学政策": (
        ["入学咨询", "学位划片", "转学问题"],
        [
            "孩子明年上小学想问划片学校",
            "非京籍孩子入学需要什么材料",
            "搬家了孩子想转学怎么办",
            "学区房被划到别的学校了",
        ],
        ["时间快到了", "材料不知道怎么准备", "学校说找教委"],
    ),
    "学校收费": (
        ["学校乱收费", "校服费太贵", "收资料费"],
        ["学校让每个学生交三百块资料费", "校服费一套要六百多", "班主任收班费不公开账目", "学校强制订购辅导书"],
        ["不交孩子会被说", "家长都有意见", "收费有没有依据"],
    ),
    "幼儿园管理": (
        ["幼儿园老师体罚", "幼儿园收费", "托育机构问题"],
        ["孩子在幼儿园被老师打了", "幼儿园突然涨了保育费", "小区里的托班没有资质", "幼儿园伙食太差孩子吃不饱"],
        ["孩子回来一直哭", "园长也不管", "很担心"],
    ),
    "校园周边安全": (
        ["校门口不安全", "放学接送混乱", "学校周边隐患"],
        [
            "小学校门口放学时车乱停特别危险",
            "学校门口的小卖部卖三无零食",
            "学生上学要穿过一条没有斑马线的大马路",
            "校门口经常有社会青年堵学生",
        ],
        ["孩子天天要过", "希望加强巡查", "家长都很担心"],
    ),
    "邻里纠纷": (
        ["邻居矛盾", "楼上噪音纠纷", "邻居占用公共区域"],
        [
            "楼上邻居天天半夜跺脚拖椅子",
            "邻居把鞋柜放在我家门口",
            "跟对门因为装修吵起来了",
            "邻居家空调外机对着我家卧室",
        ],
        ["沟通了好多次没用", "差点打起来", "希望社区调解"],
    ),
    "流浪动物": (
        ["流浪狗伤人", "流浪猫太多", "野狗成群"],
        ["小区里有好几条流浪狗追人", "流浪猫晚上叫得睡不着", "有条野狗把孩子咬了", "地下车库里住着一窝流浪猫"],
        ["孩子不敢出门", "到处是粪便", "希望有人来抓"],
    ),
    "养犬管理": (
        ["遛狗不拴绳", "狗屎不清理", "大型犬扰民"],
        ["有人遛狗不拴绳还是大狗", "小区草坪上全是狗屎没人清", "楼上养的狗一天到晚叫", "有人在小区里养藏獒"],
        ["孩子被吓哭了", "说了狗主人还骂人", "太不文明了"],
    ),
    "社区服务设施": (
        ["健身器材坏了", "活动室不开放", "缺少座椅"],
        ["小区的健身器材坏了好久没人修", "社区活动室一直锁着", "小区里连个坐着休息的椅子都没有", "凉亭的顶漏了"],
        ["老人没地方活动", "有安全隐患", "希望社区管一管"],
    ),
    "适老化改造": (
        ["老楼想加装电梯", "老人需要扶手", "适老化改造咨询"],
        [
            "我们是老旧小区想申请加装电梯",
            "楼道里没有扶手老人上下楼危险",
            "家里老人行动不便想做适老化改造",
            "加装电梯一楼不同意怎么办",
        ],
        ["老人八十多了", "住六楼", "不知道找谁"],
    ),
    "无障碍设施": (
        ["盲道被占", "没有无障碍坡道", "无障碍设施损坏"],
        ["人行道的盲道上停满了车", "社区服务站门口没有轮椅坡道", "地铁口的无障碍电梯坏了", "盲道铺到树坑里了"],
        ["坐轮椅根本进不去", "盲人走着很危险", "希望整改"],
    ),
    "户籍办理": (
        ["落户咨询", "办身份证", "迁户口"],
        ["孩子出生了想问怎么上户口", "身份证丢了在哪里补办", "想把户口迁到这边需要什么手续", "居住证办理要多久"],
        ["跑了好几趟", "材料一直不全", "请告知流程"],
    ),
    "住房保障": (
        ["公租房申请", "保障房轮候", "租房补贴"],
        [
            "申请公租房好几年了还在轮候",
            "想问问租房补贴的申请条件",
            "保障房资格审核没通过想知道原因",
            "公租房的租金突然涨了",
        ],
        ["家里条件困难", "等了很久", "请帮忙查询"],
    ),
    "惠民政策": (
        ["低保申请", "补贴政策咨询", "困难救助"],
        ["想问问低保怎么申请", "高龄老人补贴怎么领", "家里有残疾人能享受什么补贴", "疫情期间的困难补助还有吗"],
        ["不知道去哪问", "社区说不清楚", "请帮忙解答"],
    ),
}

OPENINGS = [
    "",
    "",
    "",
    "你好，",
    "您好，我想反映个事，",
    "喂，",
    "我要投诉，",
    "麻烦问一下，",
    "我是这边的居民，",
    "我反应一下，",
]
DURATIONS = ["", "", "已经半个多月了", "这几天", "从上周开始", "天天这样", "好几个月了", "今天又这样了", "每天晚上都是"]
ASKS = [
    "",
    "希望尽快处理",
    "麻烦派人来看看",
    "能不能管管",
    "请给个说法",
    "请相关部门处理",
    "希望有关部门重视一下",
    "处理完请给我回个电话",
    "之前打过一次电话没解决",
    "谢谢",
]
# Homophones and slips operators and residents make.
TYPOS = [
    ("反映", "反应"),
    ("已经", "以经"),
    ("现在", "现再"),
    ("处理", "处里"),
    ("一直", "一只"),
    ("问题", "问提"),
    ("投诉", "投述"),
    ("小区", "小去"),
    ("晚上", "晚伤"),
    ("物业", "物页"),
    ("电梯", "电题"),
    ("垃圾", "拉圾"),
    ("暖气", "暖器"),
    ("井盖", "景盖"),
    ("漏水", "露水"),
    ("噪音", "燥音"),
    ("停车", "听车"),
    ("工资", "公资"),
    ("井盖", "井该"),
    ("油烟", "油盐"),
    ("渣土", "扎土"),
    ("扬尘", "洋尘"),
    ("红绿灯", "红路灯"),
    ("下水道", "下水到"),
    ("烧烤", "烧考"),
    ("违章", "违张"),
    ("装修", "装休"),
    ("拖欠", "托欠"),
    ("疫苗", "疫描"),
    ("公厕", "公侧"),
    ("施工", "师工"),
    ("广告", "光告"),
    ("社保", "设保"),
    ("停水", "停谁"),
    ("路灯", "路等"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
PLACES = [
    "楼下",
    "小区门口",
    "单元门口",
    "路口",
    "公交站旁边",
    "菜市场附近",
    "地铁口",
    "小区东门",
    "小区北门",
    "超市门口",
]
CN_DIGITS = "零一二三四五六七八九"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _typo(text: str, rng: random.Random) -> str:
    candidates = [(a, b) for a, b in TYPOS if a in text]
    if not candidates:
        return text
    a, b = rng.choice(candidates)
    return text.replace(a, b, 1)


def _personal(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return f"我姓{rng.choice(SURNAMES)}，电话{rng.choice(['138', '139', '186', '159'])}{rng.randrange(10**8):08d}"
    if kind < 0.7:
        return f"我住{rng.randint(1, 20)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}"
    return f"车牌京{rng.choice('ABCEFGHJKLMNPQ')}{rng.randrange(10**5):05d}"


# How the text reaches the system: an operator writing down a call, a resident typing
# on a phone (QR/web: often no punctuation at all), a grid worker's patrol note.
OPERATOR_OPENINGS = [
    "来电反映：",
    "来电反映，",
    "市民来电反映",
    "市民反映：",
    "市民来电称",
    "来电人称",
    "诉求人反映",
    "来电人反映其",
    "市民来电表示",
    "来电者反映：",
    "市民来电投诉",
    "来电咨询：",
]
OPERATOR_ASKS = [
    "",
    "来电人要求尽快处理",
    "市民希望相关部门核实处理",
    "诉求人希望尽快解决",
    "请相关单位核实处理",
    "要求回复",
    "来电人情绪激动",
    "已多次反映未解决",
    "请尽快派人查看",
]
PATROL_OPENINGS = ["巡查发现", "网格员巡查发现", "日常巡查时发现", "巡查中发现", "巡检发现"]
PATROL_ASKS = ["已拍照留存", "已告知相关人员", "现场劝阻无效", "需上级部门处置", "", "请派单处理"]
# Places said in passing by callers of every category, so a place word (学校门口,
# 小区门口, 工地旁边) alone never names the category.
MORE_PLACES = [
    "学校门口",
    "学校旁边",
    "幼儿园对面",
    "小学附近",
    "小区南门",
    "我家楼下",
    "单元门口",
    "工地旁边",
    "医院门口",
    "公园边上",
    "商场后面",
    "十字路口",
    "我们村口",
    "菜市场旁",
    "河边",
]
TIMES = ["", "", "", "昨天晚上", "今天早上", "最近", "这两天", "每天晚上", "周末", "凌晨", "上午十点左右", "这一个月"]
MIXED_JOINS = ["另外", "还有", "顺便说一下", "再一个", "还有就是", "同时"]
# Homophones and near-shape slips of people typing pinyin on a phone (one in a text).
CHAR_SLIPS = {
    "的": "得",
    "在": "再",
    "已": "以",
    "做": "作",
    "那": "哪",
    "象": "像",
    "带": "戴",
    "到": "道",
    "座": "坐",
    "部": "不",
    "修": "休",
    "管": "馆",
    "燥": "躁",
    "坏": "怀",
    "楼": "搂",
    "车": "扯",
    "睡": "谁",
    "吵": "炒",
    "臭": "丑",
    "灯": "等",
    "路": "露",
    "盖": "该",
    "气": "器",
}


def _phone_typing(text: str, rng: random.Random) -> str:
    """A resident on a phone: punctuation dropped, or replaced by spaces, sometimes
    exclamation marks piled up."""
    roll = rng.random()
    if roll < 0.5:
        return re.sub(r"[，。！：、,.!:]", "", text)
    if roll < 0.8:
        return re.sub(r"[，。：、]", " ", text).strip()
    return re.sub(r"[。！]$", "", text) + rng.choice(["！！！", "？？", "!!", "。。。"])


def _slip(text: str, rng: random.Random) -> str:
    """One homophone slip: a word from TYPOS, else one character of CHAR_SLIPS."""
    if rng.random() < 0.5:
        out = _typo(text, rng)
        if out != text:
            return out
    spots = [i for i, ch in enumerate(text) if ch in CHAR_SLIPS]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + CHAR_SLIPS[text[i]] + text[i + 1 :]


def _bank(name: str, part: str) -> tuple[list[str], list[str], list[str]]:
    """The category's titles, problems and details; ``part`` picks a phrase-level split:
    "train" leaves out every fourth problem and detail, "holdout" is only those, so a
    model trained on one is measured on phrasings it never saw."""
    titles, problems, details = PHRASES.get(name) or ([name], [f"{name}的问题"], [""])
    more_problems, more_details = MORE.get(name, ([], []))
    extra_problems, extra_details = EXTRA.get(name, ([], []))
    fourth_problems, fourth_details = FOURTH.get(name, ([], []))
    # Appended banks keep the earlier phrasings' places in the every-fourth split.
    problems = problems + more_problems + extra_problems + fourth_problems
    details = details + more_details + extra_details + fourth_details
    if part == "all":
        return titles, problems, details
    pick = (lambda i: i % 4 == 3) if part == "holdout" else (lambda i: i % 4 != 3)
    return (
        titles,
        [p for i, p in enumerate(problems) if pick(i)] or problems,
        [d for i, d in enumerate(details) if pick(i)] or details,
    )


# A rambling caller: something else first, then the point (RAMBLE_TURNS); the side
# complaint is another category's problem, so the category rests on what follows.
RAMBLE_OPENINGS = ["是这样的，", "我跟你说啊，", "我们这儿事儿挺多的，", "我打过好几次电话了，", "唉，怎么说呢，"]
RAMBLE_TURNS = ["，这个先不说，主要是", "，这都是小事，今天打电话是因为", "，不过最要紧的是", "，我主要想说的是"]


def _one_liner(problem: str, rng: random.Random) -> str:
    """A one-line note (a hurried caller, a mini-program's first line): the problem's
    first clause or its first few characters, no opening, no request."""
    first = re.split(r"[，。,]", problem)[0]
    if len(first) > 10 and rng.random() < 0.4:
        first = first[: rng.randint(6, 10)]
    return first + rng.choice(["", "", "！", "。", "啊", "怎么办"])


def description(
    name: str,
    rng: random.Random,
    *,
    others: list[str] | None = None,
    part: str = "all",
    places: list[str] | None = None,
) -> str:
    """A caller's account of a problem of minor category ``name``: in one of the voices
    (resident on the phone, operator's note, resident typing, patrol note), with a place,
    a time, details, sometimes a second problem of another category, personal data,
    and slips. ``places`` are the district's own names to mention (小区 aliases, roads)."""
    _titles, problems, details = _bank(name, part)
    shape = rng.random()
    if shape < 0.06:  # a one-liner
        text = _one_liner(rng.choice(problems), rng)
        return _slip(text, rng) if rng.random() < 0.3 else text
    voice = rng.random()
    where = ""
    if rng.random() < 0.45:
        pool = PLACES + MORE_PLACES
        if places and rng.random() < 0.5:
            where = rng.choice(places) + rng.choice(["", "", "这边", "里面", f"{rng.randint(1, 30)}号楼"])
        else:
            where = rng.choice(pool)
    when = rng.choice(TIMES)
    problem = rng.choice(problems)
    head = f"{when}{where}{problem}" if rng.random() < 0.5 else f"{where}{when}{problem}"
    if shape < 0.14 and others and voice >= 0.5:  # a rambling resident
        side = rng.choice(others)
        if side != name and side in PHRASES:
            _t, side_problems, _d = _bank(side, part)
            head = rng.choice(RAMBLE_OPENINGS) + rng.choice(side_problems) + rng.choice(RAMBLE_TURNS) + head
    parts = []
    if voice < 0.4:  # operator's shorthand
        parts.append(rng.choice(OPERATOR_OPENINGS) + head)
    elif voice < 0.5:  # grid worker on patrol
        parts.append(rng.choice(PATROL_OPENINGS) + head)
    else:  # the resident's own words
        parts.append(rng.choice(OPENINGS) + head)
    duration = rng.choice(DURATIONS)
    if duration:
        parts.append(duration)
    if rng.random() < 0.75:
        parts.append(rng.choice(details))
    if rng.random() < 0.3:
        parts.append(rng.choice([d for d in details if d not in parts] or details))
    if rng.random() < 0.15:  # the same problem said twice, as people do
        parts.append(rng.choice([p for p in problems if p != problem] or problems))
    if others and rng.random() < 0.15:
        other = rng.choice(others)
        if other != name and other in PHRASES:
            _t, other_problems, _d = _bank(other, part)
            parts.append(rng.choice(MIXED_JOINS) + rng.choice(other_problems))
    if rng.random() < 0.15:
        parts.append(_personal(rng))
    if voice < 0.4:
        ask = rng.choice(OPERATOR_ASKS)
    elif voice < 0.5:
        ask = rng.choice(PATROL_ASKS)
    else:
        ask = rng.choice(ASKS)
    if ask:
        parts.append(ask)
    text = "，".join(p for p in parts if p) + rng.choice(["。", "。", "！", "", "。。"])
    if voice >= 0.5 and rng.random() < 0.45:
        text = _phone_typing(text, rng)
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        text = _slip(text, rng)
    return text


def title(name: str, rng: random.Random, desc: str) -> str:
    """What the operator types as the title: a short name of the problem, or the start
    of the description."""
    titles = (PHRASES.get(name) or ([name], [], []))[0]
    roll = rng.random()
    if roll < 0.35:  # the form's title is the text's start (web, QR, hurried calls)
        return desc[: rng.randint(8, 20)].strip() or desc[:10]
    if roll < 0.6:
        return rng.choice(titles)
    if roll < 0.8:
        return rng.choice(["反映", "投诉", "咨询", ""]) + rng.choice(titles)
    return desc.replace("你好，", "").replace("喂，", "")[:20]


def _number(n: int, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return str(n).translate(FULL_WIDTH)
    if roll < 0.2 and n < 10:
        return CN_DIGITS[n]
    return str(n)


def address(alias: str, rng: random.Random) -> str:
    """A place as people say it, starting with the 小区/road alias the gazetteer knows."""
    n = rng.randint(1, 30)
    forms = [
        f"{alias}{_number(n, rng)}号楼附近",
        f"{alias}{_number(n, rng)}号楼{rng.randint(1, 6)}单元",
        f"{alias}{rng.choice(['东门', '南门', '北门', '西门'])}",
        f"{alias}{_number(n, rng)}栋",
        f"{alias}对面",
        f"{alias}旁边的{rng.choice(['路口', '停车场', '超市', '公园'])}",
        alias,
    ]
    return rng.choice(forms)
