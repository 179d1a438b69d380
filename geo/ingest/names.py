"""Find people's names in free text (notes, names of waters, responsible units) and remove them.

No offline Chinese NLP library that is well kept fits here (jieba's person tags are unmaintained
since 2020 and miss rare given names; LAC, HanLP and pkuseg load models), so the detector is
rules over a surname list, tuned to the ledgers' text:

1. **context**: a person word (家长, 监护人, 户主, 联系人, 负责人, 爷爷, 村支书, 河长...) followed
   by a surname and one or two given-name characters: "监护人张三丰不在家" -> "监护人[removed]不在家";
2. **address**: a surname and given name followed by a word said of people (说, 反映, 家,
   同学, 老师, 先生, 女士, 阿姨...): "张三丰说水塘没围栏";
3. **whole value**: a value that is only a surname and one or two given-name characters
   ("司马懿", "张三丰") and does not end like a place or an organisation (河, 塘, 村, 委员会...).

The surname list: the 200 most common single-character surnames (2020 census order, about
96% of people) and the compound surnames in use. What the rules miss, a person's name without
any context inside a sentence, is the residual risk (docs/security.md); what they remove by
mistake (a pond called "石门"), the import report counts, so a user sees it.
"""

from __future__ import annotations

import re

import pandas as pd

#: the most common single-character Chinese surnames (about 96% of the population).
SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚"
    "符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆"
    "农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋"
    "商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
#: compound surnames.
COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "令狐", "夏侯", "端木", "独孤", "南宫", "西门", "轩辕", "钟离", "申屠", "澹台",
    "公冶", "宗政", "濮阳", "太史", "闻人", "呼延", "万俟", "赫连", "司空", "百里", "东郭",
)
#: words for people that a name follows ("监护人张三").
PERSON_WORDS = (
    "家长", "监护人", "户主", "联系人", "负责人", "责任人", "管理人", "看护人", "委托人",
    "爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷", "父亲", "母亲", "爸爸", "妈妈", "叔叔",
    "阿姨", "哥哥", "姐姐", "儿童", "孩子", "学生", "村民", "群众", "河长", "塘长", "湖长",
    "库长", "书记", "支书", "主任", "村长", "组长", "队长", "所长", "站长", "老师", "校长",
    "委员", "网格员", "专干", "儿童主任", "巡查员", "安全员", "护河员", "姓名", "名字",
)
#: words said of a person that a name precedes ("张三说").
AFTER_NAME = (
    "同学", "老师", "师傅", "先生", "女士", "小姐", "大爷", "大娘", "大妈", "阿姨", "叔叔",
    "伯伯", "爷爷", "奶奶", "同志", "书记", "主任", "村长", "家", "说", "称", "反映", "表示",
    "电话", "手机", "负责", "同意", "签字", "确认", "陪同", "参加", "接受", "承诺", "要求",
    "联系", "外出", "务工", "打工", "带领", "看护", "照顾", "照看", "监护",
)
#: last characters of place, water and organisation names (a value ending so is no person).
PLACE_ENDINGS = set(
    "河江湖塘池库渠沟坝港湾溪潭井闸泉洲岛桥涧滩堰渡浜荡泊泽海水坑汊圩垸"
    "村镇乡县区市省街巷路庄屯营集寨铺店堡岗坡山岭峰门湾园场厂社司部科室校院站所队组处办局委会"
)
_HAN = "\u4e00-\u9fff"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SINGLE_SURNAMES}])"
#: characters that end a given name rather than continue it ("张三不在家": 张三).
_STOP = "不在是的了和与及说去来已未到也都很就没要会能家电手等"
_NAME = f"{_SURNAME}[{_HAN}](?:(?![{_STOP}])[{_HAN}])?"
_PUNCT = r"\s,，。.;；:：、!！?？)）\]】\"”'’/"
_AFTER = "|".join(sorted(AFTER_NAME, key=len, reverse=True))
#: common words that begin with a surname character and can follow a person word
#: ("孩子安全", "学生全部"): never taken for names.
COMMON_WORDS = frozenset((
    "安全", "安心", "安排", "平安", "全部", "全家", "全体", "明天", "明白", "明年", "时间",
    "时候", "方便", "方面", "文化", "成绩", "关心", "关爱", "高兴", "和睦", "应该", "单独",
    "水平", "常年", "常住", "江边", "河边", "路上", "车上", "田里", "宁愿", "包括", "管理",
    "管护", "解决", "游泳", "游玩", "辛苦", "尤其", "温暖", "康复", "齐全", "严重", "严格",
    "向来", "于是", "时常", "经常", "成长", "和蔼", "健康", "良好", "一般", "正常",
))
_CONTEXT = re.compile(
    "(?P<before>(?:" + "|".join(sorted(PERSON_WORDS, key=len, reverse=True)) + r")"
    r"[\s:：,，、]*(?:是|为|叫|名叫)?[\s:：]*)"
    f"(?P<name>{_NAME})"
    f"(?=$|[{_PUNCT}]|[{_STOP}]|{_AFTER})"  # the name ends here: not the start of a word
)
_ADDRESS = re.compile(f"(?<![{_HAN}])(?P<name>{_NAME})(?P<after>{_AFTER})")
_WHOLE = re.compile(f"{_SURNAME}[{_HAN}]{{1,2}}")
#: what replaces a removed name.
REMOVED = "[removed]"


def is_person_name(value: object) -> bool:
    """Whether a whole value is a person's name (a surname and 1-2 characters, no place ending)."""
    text = "" if value is None else str(value).strip()
    if not _WHOLE.fullmatch(text) or text[-1] in PLACE_ENDINGS:
        return False
    return len(text) <= (4 if text[:2] in COMPOUND_SURNAMES else 3)


def remove_names(text: object) -> tuple[str, int]:
    """``text`` with the names of people found by the three rules replaced; and how many."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return "", 0
    value = str(text)
    if is_person_name(value):
        return REMOVED, 1
    count = 0

    def _context(m: re.Match) -> str:
        nonlocal count
        if m.group("name")[:2] in COMMON_WORDS:
            return m.group(0)
        count += 1
        return m.group("before") + REMOVED

    def _address(m: re.Match) -> str:
        nonlocal count
        count += 1
        return REMOVED + m.group("after")

    value = _CONTEXT.sub(_context, value)
    value = _ADDRESS.sub(_address, value)
    return value, count


def redact_names(values: pd.Series) -> tuple[pd.Series, int]:
    """Remove people's names from every cell of ``values``; return the text and names removed."""
    out = values.astype("string").copy()
    total = 0
    for idx, cell in values.items():
        if cell is None or (not isinstance(cell, str) and pd.isna(cell)) or str(cell).strip() == "":
            continue
        cleaned, n = remove_names(cell)
        if n:
            out[idx] = cleaned
            total += n
    return out, total
