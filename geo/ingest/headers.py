"""The header map: English and Chinese column headers and values of ledgers -> SCHEMA.md names.

County ledgers (台账) use Chinese headers and values (``性别`` 男/女, ``是否留守`` 是/否,
``监护情况`` 良好/一般/较差 ...). :data:`HEADERS` maps every known header to a contract column,
:data:`VALUES` maps the values of enumerated columns, and :data:`DLBM_WATER` maps land-survey
codes to water kinds. A user mapping file (TOML, JSON or CSV, see :func:`read_mapping`) extends
both. ``docs/import.md`` prints these tables.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from geo.store.errors import ValidationError

# Pseudo-columns used while importing (they are not stored).
LON, LAT, WKT, ID_CARD = "_lon", "_lat", "_wkt", "_id_card"
#: a birth date: only its year is kept (``birth_year``); the full date is not stored.
BIRTH_DATE = "_birth_date"

#: contract column (or pseudo-column) -> headers that mean it; matching ignores case, spaces,
#: underscores, dashes and brackets. Aliases that depend on the layer (``编号``, ``类型``)
#: are in :data:`LAYER_HEADERS`.
HEADERS: dict[str, tuple[str, ...]] = {
    LON: ("lon", "lng", "long", "longitude", "x", "经度", "东经", "经度坐标", "坐标x", "gpsx"),
    LAT: ("lat", "latitude", "y", "纬度", "北纬", "纬度坐标", "坐标y", "gpsy"),
    WKT: ("wkt", "geometry", "geom", "shape", "几何", "空间位置", "图形"),
    "household_id": ("household_id", "household", "hh_id", "hhid", "户编号", "户号", "家庭编号", "户籍编号",
                     "家庭户编号", "户编码", "家庭户号", "户主编号", "所在户编号", "家庭id", "户id"),
    "village_code": ("village_code", "village", "village_id", "vill_code", "cun_dm", "cundm", "村代码",
                     "村编码", "村级代码", "行政村代码", "所在村代码", "村统计代码", "村区划代码",
                     "村居代码", "村（居）代码", "村（居）委会代码", "所属村代码", "所属村（居）代码",
                     "村居委会代码", "社区代码", "村社区代码", "村级区划代码", "村行政区划代码",
                     "居住地区划代码", "现居住地区划代码", "所在村区划代码"),
    "caregiver": ("caregiver", "carer", "caregiver_type", "care_type", "照料人", "照料类型", "照护类型",
                  "看护人类型", "监护类型", "照料人类型", "照护人", "照护人类型", "照护情况", "照料情况",
                  "看护人", "看护类型", "实际照护人", "实际照料人", "委托照护类型", "照护方式",
                  "照料方式", "监护方式", "照护人与儿童关系", "照料人与儿童关系",
                  "监护人与儿童关系", "与儿童关系", "与留守儿童关系", "抚养类型", "实际抚养人"),
    "child_id": ("child_id", "childid", "child_no", "儿童编号", "儿童号", "学生编号", "儿童编码", "儿童id",
                 "儿童序号", "档案编号", "儿童档案编号", "系统编号"),
    BIRTH_DATE: ("birth_date", "date_of_birth", "dob", "birthday", "出生日期", "出生年月", "出生年月日",
                 "生日", "出生时间", "csrq"),
    "birth_year": ("birth_year", "birthyear", "year_of_birth", "yob", "出生年份", "出生年", "出生年度"),
    "sex": ("sex", "gender", "性别", "儿童性别", "xb"),
    "left_behind": ("left_behind", "leftbehind", "left_behind_child", "是否留守", "留守", "留守儿童",
                    "是否留守儿童", "是否为留守儿童", "留守情况", "留守标识"),
    "difficulty": ("difficulty", "difficulty_type", "困境类型", "困境类别", "困境儿童类型", "困难类型",
                   "困境儿童类别", "困境情形", "困境原因"),
    "guardianship": ("guardianship", "监护情况", "监护状况", "监护评估", "监护评价", "监护评估结果",
                     "监护能力", "监护能力评估", "监护质量", "监护等级"),
    "disability": ("disability", "disabled", "是否残疾", "残疾", "是否残疾儿童", "残疾情况", "有无残疾"),
    "serious_illness": ("serious_illness", "是否重病", "重病", "重大疾病", "是否重病儿童", "是否患重病",
                        "有无重病", "是否重大疾病"),
    "psych_concern": ("psych_concern", "心理问题", "心理关注", "是否心理关注", "是否有心理问题",
                      "心理健康关注", "心理状况关注"),
    "lives_alone": ("lives_alone", "是否独居", "独居", "是否独自居住", "独自居住"),
    "single_parent": ("single_parent", "是否单亲", "单亲", "是否单亲家庭", "单亲家庭"),
    "last_contact": ("last_contact", "last_contact_date", "最近联系日期", "最近联系", "上次联系日期",
                     "最近一次联系", "最近一次联系日期", "最近联系时间", "最近一次联系时间", "上次联系时间"),
    "last_home_visit": ("last_home_visit", "last_visit", "last_home_visit_date", "最近走访日期",
                        "最近入户走访", "上次走访日期", "最近家访日期", "最近一次走访", "最近一次走访日期",
                        "最近一次走访时间", "最近走访时间", "最近入户走访日期", "最近一次入户走访时间",
                        "上次家访日期", "上次入户日期"),
    "water_id": ("water_id", "水体编号", "水域编号", "水体id", "bsm", "标识码", "水体编码", "所在水体编号",
                 "水域id"),
    "responsible_unit": ("responsible_unit", "权属主体", "责任单位", "管理单位", "权属单位", "qsdwmc",
                         "权属单位名称", "责任主体", "管护单位", "管护责任单位", "责任单位名称"),
    "barrier": ("barrier", "隔离设施", "是否有隔离设施", "防护栏", "护栏", "围栏", "有无护栏", "有无隔离设施",
                "是否设置护栏", "防护设施"),
    "kit_id": ("kit_id", "设施编号", "四个一编号", "救生设施编号", "四个一设施编号", "点位编号"),
    "sign": ("sign", "警示牌", "警示标志", "有无警示牌", "是否有警示牌", "一块警示牌"),
    "buoy": ("buoy", "救生圈", "有无救生圈", "是否有救生圈", "一个救生圈"),
    "rope": ("rope", "救生绳", "有无救生绳", "是否有救生绳", "一根救生绳"),
    "pole": ("pole", "救生杆", "竹竿", "救生竿", "有无救生杆", "是否有救生杆", "一根救生杆", "一根竹竿"),
    "inspected_on": ("inspected_on", "inspected", "inspection_date", "检查日期", "巡查日期", "最近检查日期",
                     "检查时间", "巡查时间", "最近检查时间", "最近巡查日期"),
    "station_id": ("station_id", "站点编号", "阵地编号", "机构编号"),
    "capacity": ("capacity", "服务容量", "容量", "可服务儿童数", "服务人数", "可容纳人数", "床位数"),
    "road_id": ("road_id", "道路编号"),
    "road_class": ("road_class", "道路等级", "道路类型", "highway"),
    "oneway": ("oneway", "单行", "是否单行"),
    "directors": ("directors", "儿童主任人数", "儿童主任数", "主任人数", "儿童主任数量", "配备儿童主任数",
                  "村儿童主任人数"),
    "visit_id": ("visit_id", "走访编号", "访视编号"),
    "visited_on": ("visited_on", "visit_date", "走访日期", "访视日期", "联系日期", "走访时间", "联系时间",
                   "访视时间", "探访日期"),
    "recorded_by": ("recorded_by", "记录人编号", "记录账号", "填报账号", "走访人编号", "记录人账号"),
    "note": ("note", "notes", "remark", "remarks", "comment", "备注", "说明", "情况说明", "备注说明"),
    "inspection_id": ("inspection_id", "检查编号", "巡查编号"),
    "code": ("code", "区划代码", "统计用区划代码", "行政区划代码", "代码", "xzqdm", "区划编码", "行政区划编码",
             "adcode", "division_code", "统计用区划和城乡划分代码"),
    "parent_code": ("parent_code", "上级代码", "上级区划代码", "所属乡镇代码", "上级编码", "上级行政区划代码",
                    "父级代码", "parent", "所属乡镇街道代码"),
    ID_CARD: ("id_card", "idcard", "id_number", "identity_card", "身份证", "身份证号", "身份证号码", "公民身份号码", "证件号码", "证件号"),
}

#: headers whose meaning depends on the layer: layer -> {header: column}.
LAYER_HEADERS: dict[str, dict[str, str]] = {
    "admin_units": {"名称": "name", "区划名称": "name", "级别": "level", "层级": "level", "xzqmc": "name"},
    "water_bodies": {"名称": "name", "水体名称": "name", "类型": "kind", "水体类型": "kind", "地类": "kind", "dlbm": "kind", "地类编码": "kind", "dlmc": "name", "编号": "water_id", "id": "water_id"},
    "stations": {"名称": "name", "站点名称": "name", "机构名称": "name", "类型": "kind", "站点类型": "kind", "级别": "level", "层级": "level", "编号": "station_id", "id": "station_id"},
    "safety_kits": {"编号": "kit_id", "id": "kit_id"},
    "roads": {"编号": "road_id", "id": "road_id", "类型": "road_class"},
    "visits": {"类型": "kind", "走访方式": "kind", "方式": "kind", "编号": "visit_id", "id": "visit_id"},
    "inspections": {"编号": "inspection_id", "id": "inspection_id"},
    "households": {"编号": "household_id", "id": "household_id"},
    "children": {"编号": "child_id", "id": "child_id"},
    "child_directors": {},
}

#: headers that hold people's names, phone numbers or ID-card numbers: never stored.
#: ``name`` alone is personal only in layers about people (:data:`PEOPLE_LAYERS`).
PERSONAL_HEADERS: tuple[str, ...] = (
    "姓名", "名字", "儿童姓名", "学生姓名", "户主", "户主姓名", "监护人", "监护人姓名", "联系人",
    "父亲", "母亲", "父亲姓名", "母亲姓名", "家长", "家长姓名", "儿童主任姓名", "填报人", "走访人",
    "电话", "手机", "手机号", "手机号码", "电话号码", "联系电话", "联系方式", "监护人电话",
    "家长电话", "住址", "家庭住址", "详细地址",
    "fullname", "childname", "personname", "guardianname", "guardian", "parentname",
    "phone", "mobile", "tel", "telephone", "phonenumber", "contact", "address",
)
PEOPLE_LAYERS = ("households", "children", "child_directors", "visits")

_TRUE = ("是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对", "是的", "已设置", "已配备", "已安装",
         "齐全", "t")
_FALSE = ("否", "无", "没有", "n", "no", "false", "0", "×", "✗", "✘", "x", "不是", "未设置", "未配备",
          "未安装", "缺失", "f")

#: column -> {value as found (case-insensitive): contract value}
VALUES: dict[str, dict[str, str]] = {
    "sex": {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F", "1": "M", "2": "F",
            "男性": "M", "女性": "F", "男孩": "M", "女孩": "F", "boy": "M", "girl": "F"},
    "guardianship": {"良好": "good", "好": "good", "一般": "average", "中": "average", "较差": "poor", "差": "poor",
                     "good": "good", "average": "average", "poor": "poor", "优": "good", "优秀": "good",
                     "较好": "good", "合格": "average", "中等": "average", "不合格": "poor",
                     "缺失": "poor", "监护缺失": "poor", "监护不力": "poor"},
    "caregiver": {
        "父母": "parents", "父母双方": "parents", "双亲": "parents", "父母照料": "parents",
        "单亲": "one_parent", "父亲": "one_parent", "母亲": "one_parent", "父或母": "one_parent",
        "祖父母": "grandparents", "祖辈": "grandparents", "爷爷奶奶": "grandparents",
        "外公外婆": "grandparents", "隔代": "grandparents", "祖父母照料": "grandparents",
        "亲戚": "relatives", "亲属": "relatives", "其他亲属": "relatives",
        "委托他人": "entrusted_other", "委托照料": "entrusted_other", "他人": "entrusted_other",
        "无人照料": "none", "无": "none", "独居": "none",
        # one grandparent or one parent as the carer named by the child-welfare system's forms
        "祖父": "grandparents", "祖母": "grandparents", "外祖父": "grandparents",
        "外祖母": "grandparents", "爷爷": "grandparents", "奶奶": "grandparents",
        "外公": "grandparents", "外婆": "grandparents", "姥姥": "grandparents",
        "姥爷": "grandparents", "(外)祖父母": "grandparents", "祖父母或外祖父母": "grandparents",
        "祖辈照料": "grandparents", "隔代照料": "grandparents", "祖父母监护": "grandparents",
        "父": "one_parent", "母": "one_parent", "父亲照料": "one_parent", "母亲照料": "one_parent",
        "父亲或母亲": "one_parent", "单亲照料": "one_parent", "一方照料": "one_parent",
        "父母一方": "one_parent", "父母双方照料": "parents", "父母共同照料": "parents",
        "叔叔": "relatives", "婶婶": "relatives", "伯父": "relatives", "伯母": "relatives",
        "姑姑": "relatives", "姑父": "relatives", "舅舅": "relatives", "舅妈": "relatives",
        "阿姨": "relatives", "姨妈": "relatives", "哥哥": "relatives", "姐姐": "relatives",
        "兄姐": "relatives", "其他亲属照料": "relatives", "亲属照料": "relatives",
        "亲友": "relatives", "其他亲友": "relatives",
        "委托照护": "entrusted_other", "受委托人": "entrusted_other", "委托监护": "entrusted_other",
        "其他人": "entrusted_other", "邻居": "entrusted_other", "寄养": "entrusted_other",
        "无人监护": "none", "无人照护": "none", "自己": "none", "本人": "none",
        "grandparent": "grandparents", "parent": "one_parent", "relative": "relatives",
    },
    "kind@water_bodies": {
        "河流": "river", "河": "river", "江": "river", "溪": "river", "沟渠": "canal", "渠道": "canal",
        "渠": "canal", "灌渠": "canal", "水沟": "ditch", "沟": "ditch", "排水沟": "ditch",
        "坑塘": "pond", "坑塘水面": "pond", "池塘": "pond", "塘": "pond", "鱼塘": "pond",
        "水库": "reservoir", "水库水面": "reservoir", "湖泊": "lake", "湖": "lake",
        "湖泊水面": "lake", "河流水面": "river", "水窖": "cistern", "蓄水池": "cistern",
        "其他": "other",
    },
    "kind@stations": {
        "未成年人救助保护机构": "rescue_protection_institution", "救助保护机构": "rescue_protection_institution",
        "儿童福利机构": "child_welfare_institution", "儿童福利院": "child_welfare_institution",
        "未成年人保护工作站": "minor_protection_workstation", "未保站": "minor_protection_workstation",
        "社会工作服务站": "social_work_station", "社工站": "social_work_station",
        "日间照料中心": "day_care_centre", "儿童之家": "childrens_home",
        "儿童心灵港湾": "child_heart_harbour", "心灵港湾": "child_heart_harbour",
        "阳光驿站": "sunshine_station", "爱心驿站": "love_station", "爱心小屋": "love_station",
        "学校": "school", "小学": "school", "中学": "school", "幼儿园": "kindergarten",
        "寄宿制学校": "boarding_school", "寄宿学校": "boarding_school", "学校托管室": "school_care_room",
    },
    "level": {"县": "county", "县级": "county", "乡镇": "township", "乡": "township", "镇": "township",
              "乡镇级": "township", "街道": "township", "村": "village", "村级": "village",
              "社区": "village", "学校": "school"},
    "road_class": {"国道": "primary", "高速": "primary", "高速公路": "primary", "省道": "secondary",
                   "县道": "tertiary", "乡道": "rural", "村道": "rural", "乡村道路": "rural",
                   "机耕路": "track", "机耕道": "track", "田间道": "track", "小路": "path",
                   "步道": "path", "人行道": "path"},
    "kind@visits": {"联系": "contact", "电话": "contact", "电话联系": "contact", "视频": "contact",
                    "入户走访": "home_visit", "入户": "home_visit", "走访": "home_visit",
                    "家访": "home_visit", "上门": "home_visit"},
    "difficulty": {"家庭困难": "family", "家庭": "family", "自身困难": "self", "自身": "self",
                   "监护困难": "guardianship", "监护": "guardianship", "因家庭贫困": "family",
                   "家庭贫困": "family", "家庭经济困难": "family", "因自身状况": "self",
                   "自身状况": "self", "因监护缺失": "guardianship", "监护缺失": "guardianship",
                   "因家庭监护缺失或监护不当": "guardianship", "监护不当": "guardianship"},
}
for _col in ("left_behind", "barrier", "oneway", "sign", "buoy", "rope", "pole",
             "disability", "serious_illness", "psych_concern", "lives_alone", "single_parent"):
    VALUES[_col] = {**{v: "true" for v in _TRUE}, **{v: "false" for v in _FALSE}}

#: Third national land survey (三调) land-class codes (DLBM) of water -> SCHEMA kinds.
#: GB/T 21010-2017: 1101 河流水面, 1102 湖泊水面, 1103 水库水面, 1104 坑塘水面, 1104A 养殖坑塘,
#: 1107 沟渠, 1107A 干渠 (treated as canal; a "ditch" is a field-level 沟). Other 11xx codes
#: (1105 沿海滩涂, 1106 内陆滩涂, 1108 沼泽地, 1109 水工建筑用地, 1110 冰川) are not open water.
DLBM_WATER: dict[str, str] = {
    "1101": "river", "1102": "lake", "1103": "reservoir", "1104": "pond", "1104A": "pond",
    "1104K": "pond", "1107": "canal", "1107A": "canal",
}

_BRACKETED = re.compile(r"[(\[【<《][^)\]】>》]*[)\]】>》]")


def normalize_header(header: object) -> str:
    """Return the key used to match a header or a value.

    Unicode NFKC (full-width letters, digits and brackets become their plain forms), lower
    case, and every space, punctuation mark and symbol removed: ``" 村（居）代码 "``,
    ``"Village_Code"`` and ``"ＶＩＬＬＡＧＥ－ＣＯＤＥ"`` give the same key.
    """
    text = unicodedata.normalize("NFKC", str(header)).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def normalize_value(value: object) -> str:
    """Return the key used to look a value up: NFKC, lower case, no spaces (``"Ｍ"``,
    ``" 是 "`` and ``"祖父母 "`` find ``m``, ``是``, ``祖父母``); marks such as √ and × are kept."""
    text = unicodedata.normalize("NFKC", str(value)).lower()
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "C")


def header_keys(header: object) -> list[str]:
    """The keys a header is looked up by, best first: the whole header, then without the
    text in brackets (``出生年份（必填）`` -> ``出生年份``, ``容量(人)`` -> ``容量``)."""
    text = unicodedata.normalize("NFKC", str(header))
    keys = [normalize_header(text)]
    bare = normalize_header(_BRACKETED.sub("", text))
    if bare and bare not in keys:
        keys.append(bare)
    return keys


#: the longest field name a shapefile (dBASE) holds, in bytes; GDAL and QGIS cut longer names.
DBF_NAME_BYTES = 10


def is_dbf_truncated(header: object) -> bool:
    """Whether ``header`` may be a longer name cut to a shapefile's 10-byte field name."""
    raw = str(header).strip().encode("utf-8")
    return DBF_NAME_BYTES - 2 <= len(raw) <= DBF_NAME_BYTES if not raw.isascii() else len(raw) == DBF_NAME_BYTES


@dataclass(frozen=True)
class Match:
    """How a header was matched: its column and by what (``exact``, ``bracket``, ``dbf``)."""

    column: str
    how: str


@dataclass
class Mapping:
    """A header and value map (the built-in one, possibly extended by a user file)."""

    headers: dict[str, str] = field(default_factory=dict)  # normalized header -> column
    layer_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {key: value}
    #: headers the user said not to import (normalized), e.g. from the app's mapping step
    skip: set[str] = field(default_factory=set)
    #: headers the user mapped on purpose (normalized): their content is not asked about again
    confirmed: set[str] = field(default_factory=set)

    def column_for(self, header: object, layer: str) -> str | None:
        """The contract column (or pseudo-column) a header means in ``layer``, if known."""
        for key in header_keys(header):
            found = self.layer_headers.get(layer, {}).get(key) or self.headers.get(key)
            if found:
                return found
        return None

    def match(self, header: object, layer: str, allowed: set[str]) -> Match | None:
        """The column of ``allowed`` a header means in ``layer``, and how it matched.

        Exact (after :func:`normalize_header`) first, then without bracketed text, then as a
        shapefile's truncated field name: a 10-byte header that is the start of exactly one
        allowed column's name or alias (``village_co`` -> ``village_code``, ``responsibl`` ->
        ``responsible_unit``).
        """
        keys = header_keys(header)
        if keys[0] in self.skip:
            return None
        for i, key in enumerate(keys):
            found = self.layer_headers.get(layer, {}).get(key) or self.headers.get(key)
            if found:
                return Match(found, "exact" if i == 0 else "bracket") if found in allowed else None
        if is_dbf_truncated(header) and len(keys[0]) >= 3:
            targets = {col for alias, col in self._aliases(layer) if col in allowed
                       and alias.startswith(keys[0]) and alias != keys[0]}
            if len(targets) == 1:
                return Match(targets.pop(), "dbf")
        return None

    def _aliases(self, layer: str) -> list[tuple[str, str]]:
        return [*self.headers.items(), *self.layer_headers.get(layer, {}).items()]

    def suggest(self, header: object, layer: str, allowed: set[str], n: int = 3) -> list[str]:
        """Columns of ``allowed`` a header that matched nothing probably means, best first.

        A known header inside it or it inside one (``儿童照护人类型`` holds ``照护人``), or a
        close spelling (difflib ratio >= 0.6); at most ``n``.
        """
        key = header_keys(header)[-1]
        if not key:
            return []
        scores: dict[str, float] = {}
        for alias, col in self._aliases(layer):
            if col not in allowed or not alias:
                continue
            if len(alias) >= 2 and (alias in key or (len(key) >= 2 and key in alias)):
                score = 0.8 + 0.2 * min(len(alias), len(key)) / max(len(alias), len(key))
            else:
                score = difflib.SequenceMatcher(None, key, alias).ratio()
            if score >= 0.6 and score > scores.get(col, 0.0):
                scores[col] = score
        return [c for c, _ in sorted(scores.items(), key=lambda kv: -kv[1])][:n]

    def value_map(self, column: str, layer: str) -> dict[str, str]:
        """The value map of ``column`` in ``layer`` (keys normalized by :func:`normalize_value`)."""
        return self.values.get(f"{column}@{layer}") or self.values.get(column) or {}

    def is_personal(self, header: object, layer: str) -> bool:
        """Whether a header names a column of people's names, phones or ID-card numbers."""
        key = normalize_header(header)
        if self.column_for(header, layer) == ID_CARD:
            return True
        if key in _PERSONAL or any(h in key for h in _PERSONAL_SUBSTRINGS):
            return True
        return layer in PEOPLE_LAYERS and key in ("name", "名称")


_PERSONAL = {normalize_header(h) for h in PERSONAL_HEADERS}
_PERSONAL_SUBSTRINGS = ("姓名", "电话", "手机", "身份证", "phone", "mobile")


def default_mapping() -> Mapping:
    """Return the built-in header and value map."""
    m = Mapping()
    for column, aliases in HEADERS.items():
        for alias in aliases:
            m.headers[normalize_header(alias)] = column
    for layer, table in LAYER_HEADERS.items():
        m.layer_headers[layer] = {normalize_header(k): v for k, v in table.items()}
    # the contract names themselves, and their Chinese labels, always map
    from geo.store.schema import LAYERS

    for layer, spec in LAYERS.items():
        for col in spec.column_names:
            m.layer_headers.setdefault(layer, {}).setdefault(normalize_header(col), col)
    m.values = {c: {normalize_value(k): v for k, v in t.items()} for c, t in VALUES.items()}
    return m


def read_mapping(path: str | Path | None, base: Mapping | None = None) -> Mapping:
    """Extend ``base`` (default: the built-in map) with a user mapping file.

    Formats
    -------
    TOML (``.toml``) or JSON (``.json``)::

        [headers]              # header as in the file = contract column
        "户主编号" = "household_id"
        [values.caregiver]     # value as in the file = contract value
        "外婆" = "grandparents"
        [values."kind@water_bodies"]
        "鱼池" = "pond"

    CSV (``.csv``, UTF-8): columns ``column,from,to``; ``column`` is ``header`` for a header
    alias, otherwise the contract column whose value is mapped.
    """
    m = base or default_mapping()
    if path is None:
        return m
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read the mapping file ({exc.strerror})") from exc
    headers: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(raw.decode("utf-8-sig"))
        elif path.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8-sig"))
        elif path.suffix.lower() == ".csv":
            data = {"headers": {}, "values": {}}
            for row in csv.DictReader(raw.decode("utf-8-sig").splitlines()):
                col, src, dst = ((row.get(k, "") or "").strip() for k in ("column", "from", "to"))
                if col == "header":
                    data["headers"][src] = dst
                elif col:
                    data["values"].setdefault(col, {})[src] = dst
        else:
            raise ValidationError(f"{path}: a mapping file is .toml, .json or .csv")
        headers = {str(k): str(v) for k, v in dict(data.get("headers", {})).items()}
        values = {str(c): {str(k): str(v) for k, v in dict(t).items()}
                  for c, t in dict(data.get("values", {})).items()}
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(f"{path}: the mapping file cannot be read ({exc})") from exc
    return extend_mapping(m, headers, values)


def extend_mapping(base: Mapping, headers: dict[str, str],
                   values: dict[str, dict[str, str]] | None = None) -> Mapping:
    """A copy of ``base`` where each ``header -> column`` of ``headers`` wins over the built-in
    meanings (an empty column or ``-`` means: do not import that header), plus ``values``."""
    out = Mapping(dict(base.headers), {k: dict(v) for k, v in base.layer_headers.items()},
                  {k: dict(v) for k, v in base.values.items()}, set(base.skip), set(base.confirmed))
    for src, dst in headers.items():
        key = normalize_header(src)
        for table in out.layer_headers.values():  # a user's word wins over layer defaults
            table.pop(key, None)
        if dst.strip() in ("", "-"):
            out.headers.pop(key, None)
            out.skip.add(key)
            out.confirmed.discard(key)
        else:
            out.headers[key] = dst.strip()
            out.skip.discard(key)
            out.confirmed.add(key)
    for col, table in (values or {}).items():
        out.values.setdefault(col, {}).update({normalize_value(k): v for k, v in table.items()})
    return out
