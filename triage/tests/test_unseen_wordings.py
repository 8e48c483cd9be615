"""The model the demo trains, on texts written by hand for this test: ways of putting
complaints that neither the demo generator (workorders/demo/corpus.py and its banks)
nor anyone's evaluation set holds. The generator only trains here; nothing measures it
against itself. Also the feature choices of run 4 (triage/model.py): character 1–2-grams,
counted."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from triage import model as ml

# (text, minor category), written for this file.
HAND = [
    ("我们小区对面那条街晚上总有人把车停在非机动车道上，骑自行车只能往机动车道里拐，太危险了", "违章停车"),
    (
        "市民来电反映：某路与某街交叉口东北角长期停放一辆无牌面包车，车身落满灰尘，疑似废弃车辆，请核实处理。",
        "违章停车",
    ),
    ("早上七点多那个十字路口的红绿灯全黑了，车和人都乱走，差点撞到一个小孩", "交通信号灯故障"),
    ("下班高峰从环岛到高架入口这一段车一动不动，半小时挪了几百米，建议交管部门优化一下", "道路拥堵"),
    ("小区门口马路上的斑马线都快看不见了，孩子上学过马路车都不减速", "交通标志标线"),
    ("地铁站B口那儿的小黄车小蓝车横七竖八倒了一地，轮椅根本推不过去", "共享单车乱停"),
    ("我们这栋楼的电梯这个月已经坏了三次，昨天我妈被关在里面二十多分钟才出来", "电梯故障"),
    ("物业一年多了楼道从来不打扫，垃圾扔在楼梯上也没人收拾，打物业电话就说记下了", "物业服务"),
    ("下雨楼上阳台的水顺着我家窗户框往里流，墙都泡黑了，楼上说不是他家的事", "房屋漏水"),
    ("都十一月二十号了家里暖气还是温的，屋里才十六度，老人腿疼得受不了", "供暖不热"),
    ("小区里晚上停车太难了，外面的车随便进，物业只管收钱，业主回来没地方停只能停马路上", "小区停车"),
    ("楼顶防水层坏了想用维修基金修，物业说要全楼业主签字，签完又说要等审批，等了大半年", "专项维修资金"),
    ("菜市场外面一整条人行道都被卖菜的摊子占满了，推着婴儿车只能走马路", "占道经营"),
    ("小区垃圾房已经四五天没有清运了，垃圾都堆到路上，又臭又招苍蝇", "垃圾清运不及时"),
    ("我们单元楼道里邻居堆了好多旧纸箱和泡沫板，这要是着火了大家都跑不出去", "乱堆乱放"),
    ("公园里的公共厕所门坏了关不上，里面脏得下不去脚，也没有保洁", "公厕管理"),
    ("楼下烧烤摊每天晚上在人行道上支炉子烤到凌晨两点，烟全飘进我家", "露天烧烤"),
    ("运渣土的大车从工地出来一路掉土，整条路全是泥，一下雨更没法走", "道路遗撒"),
    ("这条路上有个井盖不知道被谁拿走了，黑洞洞的，晚上骑车的掉进去怎么办", "井盖缺失"),
    ("家门口那段路路灯已经一个多星期没亮了，晚上下夜班回来黑灯瞎火的很害怕", "路灯不亮"),
    ("公司三个月没发工资了，老板一直说下个月发，现在电话都不接了", "拖欠工资"),
    ("在健身房办了年卡才去了几次，健身房突然关门了，老板联系不上，想退钱", "预付卡退费"),
    ("隔壁饭馆的排烟管道直接对着我家卧室窗户，一做饭满屋子油烟味", "餐饮油烟"),
    ("旁边工地晚上十一点多还在打桩，咚咚咚的吵得孩子没法睡觉", "施工噪音"),
]


def test_hand_written_complaints_are_ranked_right(demo_model):
    texts = [t for t, _ in HAND]
    p = demo_model.proba(texts, ["ch:hotline"] * len(texts))
    top3 = [[demo_model.classes[j] for j in np.argsort(-row)[:3]] for row in p]
    right = sum(top[0] == label for top, (_t, label) in zip(top3, HAND, strict=True))
    within3 = sum(label in top for top, (_t, label) in zip(top3, HAND, strict=True))
    # Measured 21/24 and 24/24; the bound leaves room for one more slip, no more.
    assert right >= 20, right
    assert within3 == len(HAND), within3


def test_hand_written_complaints_through_a_closed_set_stay_ranked(demo_model):
    # The services renormalise over the active categories only; dropping the right
    # answer's neighbours must not push the right answer down, and the rest sum to 1.
    text, label = HAND[6]  # the lift
    z = demo_model.logits([text], ["ch:hotline"])[0]
    allowed = [i for i, c in enumerate(demo_model.classes) if c not in ("物业服务", "小区停车")]
    sub = np.exp(z[allowed] - z[allowed].max())
    sub /= sub.sum()
    assert demo_model.classes[allowed[int(np.argmax(sub))]] == label
    assert sub.sum() == pytest.approx(1.0)


def _column(gram: str) -> int:
    """The text column a gram hashes to (the same hash as the model's vectorizer)."""
    one = HashingVectorizer(analyzer=lambda d: [d], n_features=ml.TEXT_FEATURES, alternate_sign=False)
    return int(one.transform([gram]).indices[0])


def test_character_grams_are_counted_and_stop_at_two():
    # Counted: a pair said twice weighs twice one said once (binary presence made them
    # equal).
    x = ml._TEXT.transform(["漏水漏水了"])
    assert x[0, _column("漏水")] == pytest.approx(2 * x[0, _column("水了")])
    # No 3-grams: a text's columns are exactly those of its characters and pairs (the
    # analyzer pads the text with a space at each end).
    padded = " 井盖丢了 "
    grams = {padded[i : i + n] for n in (1, 2) for i in range(len(padded) - n + 1)}
    assert set(ml._TEXT.transform(["井盖丢了"]).indices) == {_column(g) for g in grams}
