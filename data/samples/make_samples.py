from pathlib import Path
import geopandas as gpd, pandas as pd
from shapely.geometry import Polygon, LineString
from geo.store.coords import wgs84_to_gcj02
out = Path("data/samples")
W = (7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2); C = "10X98765432"
def idno(b): return b + C[sum(int(d)*w for d, w in zip(b, W)) % 11]
V = "341199106201"
x0, y0 = 116.7706, 32.5144
hh = pd.DataFrame({
  "户编号": [f"S{i:03d}" for i in range(1, 9)],
  "户主姓名": ["张某甲", "李某乙", "王某丙", "赵某丁", "刘某戊", "陈某己", "杨某庚", "黄某辛"],
  "联系电话": ["13800000001", "13800000002", "", "13800000004", "13800000005", "", "13800000007", "13800000008"],
  "村代码": [V]*6 + ["34119910620", V],
  "照料类型": ["祖父母", "父母", "单亲", "亲戚", "祖父母", "委托他人", "父母", "祖父母"],
  "经度": [round(x0 + 0.001*i, 6) for i in range(8)],
  "纬度": [round(y0 + 0.0007*i, 6) for i in range(8)],
})
hh.loc[7, ["经度", "纬度"]] = [hh.loc[7, "纬度"], hh.loc[7, "经度"]]  # swapped
hh.to_csv(out / "households_zh_gbk.csv", index=False, encoding="gbk")
hh_en = hh.rename(columns={"户编号": "household_id", "村代码": "village_code", "照料类型": "caregiver",
                           "经度": "lon", "纬度": "lat"}).drop(columns=["户主姓名", "联系电话"])
hh_en["household_id"] = hh_en["household_id"].str.replace("S", "E")
hh_en["caregiver"] = ["grandparents", "parents", "one_parent", "relatives", "grandparents", "entrusted_other", "parents", "nobody"]
hh_en.loc[7, ["lon", "lat"]] = [x0 + 0.02, y0]
hh_en.to_csv(out / "households_en.csv", index=False, encoding="utf-8")
kids = pd.DataFrame({
  "身份证号": [idno(f"34119920{y}0{m}1500{k}") for y, m, k in [(15,1,1),(17,3,2),(12,5,3),(19,7,4),(10,2,5),(16,8,6),(18,4,7),(20,6,8)]],
  "姓名": ["张小一", "李小二", "王小三", "赵小四", "刘小五", "陈小六", "杨小七", "黄小八"],
  "户编号": ["S001", "S001", "S002", "S003", "S004", "S005", "S099", "S006"],
  "出生年份": [2015, 2017, 2012, 2019, 2004, 2016, 2018, 2020],
  "性别": ["男", "女", "男", "女", "男", "未知", "女", "男"],
  "是否留守": ["是", "是", "否", "是", "否", "是", "否", "是"],
  "困境类型": ["", "家庭困难", "", "监护困难、自身困难", "", "", "", ""],
  "监护情况": ["一般", "良好", "良好", "较差", "良好", "一般", "良好", "良好"],
  "是否残疾": ["否", "否", "是", "否", "否", "否", "否", "否"],
  "最近联系日期": ["2025-03-02", "2025-04-11", "", "2025-05-20", "", "2025-01-09", "", "2025-02-14"],
  "最近走访日期": ["2025-01-15", "", "", "2025-04-01", "", "", "", ""],
})
with pd.ExcelWriter(out / "children_zh.xlsx") as xl:
    pd.DataFrame({"说明": ["样例台账（虚构数据），导入：childsafe import children children_zh.xlsx --sheet 儿童台账 --into X.gpkg"]}).to_excel(xl, sheet_name="说明", index=False)
    kids.to_excel(xl, sheet_name="儿童台账", index=False)
glon, glat = wgs84_to_gcj02([x0 + 0.0005, x0 + 0.003, x0 + 0.006, 0.0], [y0 + 0.0003, y0 + 0.002, y0 + 0.004, 0.0])
kits = pd.DataFrame({"kit_id": ["SK1", "SK2", "SK3", "SK4"], "water_id": ["", "", "", ""],
                     "lon": [round(v, 7) for v in glon], "lat": [round(v, 7) for v in glat],
                     "sign": ["yes", "yes", "no", "yes"], "buoy": ["yes", "no", "no", "yes"],
                     "rope": ["yes", "yes", "no", "maybe"], "pole": ["no", "yes", "no", "yes"],
                     "inspected_on": ["2025-05-01", "2025-04-20", "", "2025-05-03"]})
kits.to_csv(out / "safety_kits_gcj02_en.csv", index=False, encoding="utf-8")
def sq(dx, dy, s=0.0015):
    return Polygon([(x0+dx, y0+dy), (x0+dx+s, y0+dy), (x0+dx+s, y0+dy+s*0.7), (x0+dx, y0+dy+s*0.7)])
water = gpd.GeoDataFrame({
  "BSM": ["S1101", "S1103", "S1104", "S1104A", "S0101", "S1106"],
  "DLBM": ["1101", "1103", "1104", "1104A", "0101", "1106"],
  "DLMC": ["河流水面", "水库水面", "坑塘水面", "养殖坑塘", "水田", "内陆滩涂"],
  "QSDWMC": ["侯坊村股份经济合作社"]*6},
  geometry=[sq(0.002, 0.006, 0.004), sq(0.01, 0.0), sq(0.004, -0.002), sq(0.007, -0.003), sq(0.012, 0.004), sq(0.0, 0.01)],
  crs="EPSG:4490")
canal = gpd.GeoDataFrame({"BSM": ["S1107"], "DLBM": ["1107"], "DLMC": ["沟渠"], "QSDWMC": ["侯坊村股份经济合作社"]},
                         geometry=[LineString([(x0 - 0.004, y0 - 0.001), (x0 + 0.012, y0 - 0.001)])], crs="EPSG:4490")
water = pd.concat([water, canal], ignore_index=True)
water["geometry"] = [g if g.geom_type != "LineString" else g.buffer(0.00005) for g in water.geometry]
water.to_file(out / "water_dltb.shp", encoding="GBK")
(out / "water_dltb.cpg").write_text("GBK")
print(open(out / "water_dltb.prj").read()[:60])
