#!/bin/sh
# Regenerates the files in geodata/formats/: the sample city (geodata/nanjing-xinjiekou) in the formats and coordinate
# systems planners are handed, so that every `doorstep import` and `import-osm` example in the README runs as written.
# Needs a built doorstep (DOORSTEP, default .build/debug/doorstep: for the GCJ-02 coordinates), ogr2ogr (gdal-bin),
# osmium (osmium-tool), python3 and zip. Run from the repository root: sh geodata/formats/make.sh
set -eu
DOORSTEP=${DOORSTEP:-.build/debug/doorstep}
SAMPLE=geodata/nanjing-xinjiekou
OUT=geodata/formats
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The sample city as `make run` loads it.
for layer in ways grids compounds entrances stations; do
  "$DOORSTEP" import "$layer" "$SAMPLE/$layer.geojson" --db "$TMP/city.sqlite" >/dev/null 2>&1
done

# Flat copies of the layers (services as text, as a Shapefile or a sheet holds them), for ogr2ogr.
"$DOORSTEP" export stations --crs gcj02 --out "$TMP/stations-gcj02.geojson" --db "$TMP/city.sqlite" >/dev/null
python3 - "$SAMPLE" "$TMP" <<'PY'
import csv, io, json, sys
sample, tmp = sys.argv[1], sys.argv[2]
def flat(path, keep):
    doc = json.load(open(path, encoding="utf-8"))
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {k: (";".join(p[k]) if isinstance(p.get(k), list) else p.get(k)) for k in keep}
    return doc
stations = ["id", "name", "kind", "services", "hours", "address", "phone"]
json.dump(flat(f"{sample}/stations.geojson", stations), open(f"{tmp}/stations.geojson", "w", encoding="utf-8"), ensure_ascii=False)
json.dump(flat(f"{sample}/compounds.geojson", ["id", "name", "kind", "households", "population", "grid_id"]),
          open(f"{tmp}/compounds.geojson", "w", encoding="utf-8"), ensure_ascii=False)
# stations.csv: GBK, Chinese headers, GCJ-02 coordinates (as copied from Amap), as a street office keeps it.
gcj = flat(f"{tmp}/stations-gcj02.geojson", stations)
text = io.StringIO()
w = csv.writer(text, lineterminator="\r\n")
w.writerow(["编号", "名称", "类型", "经度", "纬度", "服务", "开放时间", "地址", "电话"])
for f in gcj["features"]:
    p, (lon, lat) = f["properties"], f["geometry"]["coordinates"]
    w.writerow([p["id"], p["name"], p["kind"], f"{lon:.7f}", f"{lat:.7f}", p["services"], p["hours"], p["address"] or "", p["phone"] or ""])
open("geodata/formats/stations.csv", "wb").write(text.getvalue().encode("gbk"))
# 驿站: the 驿站 (posts) as a sheet with 站名 for the name and lon/lat columns.
text = io.StringIO()
w = csv.writer(text, lineterminator="\n")
w.writerow(["id", "站名", "kind", "lon", "lat", "services", "hours"])
for f in json.load(open(f"{sample}/stations.geojson", encoding="utf-8"))["features"]:
    p, (lon, lat) = f["properties"], f["geometry"]["coordinates"]
    if p["kind"] == "post":
        w.writerow([p["id"], p["name"], p["kind"], lon, lat, ";".join(p["services"]), p["hours"]])
open(f"{tmp}/posts.csv", "w", encoding="utf-8").write(text.getvalue())
# candidates.csv: possible sites for `doorstep plan --candidates`: every fifth named point of interest of the area
# (OpenStreetMap, by OSM id) that no sample station stands on; real places, not known to be vacant.
taken = {f["properties"].get("osm_id") for f in json.load(open(f"{sample}/stations.geojson", encoding="utf-8"))["features"]}
pois = [f for f in json.load(open(f"{sample}/osm/poi_candidates.geojson", encoding="utf-8"))["features"]
        if f["properties"].get("name") and f["properties"]["osm_id"] not in taken]
pois.sort(key=lambda f: (f["properties"]["osm_id"].split("/")[0], int(f["properties"]["osm_id"].split("/")[1])))
text = io.StringIO()
w = csv.writer(text, lineterminator="\n")
w.writerow(["id", "name", "lon", "lat", "osm_id"])
for f in pois[::5]:
    p, (lon, lat) = f["properties"], f["geometry"]["coordinates"]
    w.writerow(["V" + p["osm_id"].split("/")[1], p["name"], f"{lon:.7f}", f"{lat:.7f}", p["osm_id"]])
open("geodata/formats/candidates.csv", "w", encoding="utf-8").write(text.getvalue())
PY

rm -f "$OUT"/grids_cgcs2000.geojson "$OUT"/站点.* "$OUT"/小区.zip "$OUT"/规划.gpkg "$OUT"/驿站.xlsx "$OUT"/路网.dxf "$OUT"/*.osm.pbf
# Grids in CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549), metres to the millimetre.
ogr2ogr -f GeoJSON -t_srs EPSG:4549 -lco COORDINATE_PRECISION=3 "$OUT/grids_cgcs2000.geojson" "$SAMPLE/grids.geojson"
# Stations as a Shapefile in CGCS2000 (EPSG:4490) with Chinese field names, in GBK (.cpg 936) as ArcGIS writes it.
ogr2ogr -f "ESRI Shapefile" -t_srs EPSG:4490 -lco ENCODING=CP936 -nln 站点 \
  -sql 'SELECT id AS "编号", name AS "名称", kind AS "类型", services AS "服务", hours AS "开放时间", address AS "地址", phone AS "电话" FROM stations' \
  "$OUT/站点.shp" "$TMP/stations.geojson"
# Compounds as a zipped Shapefile (UTF-8), as planners mail them.
mkdir "$TMP/zip"
ogr2ogr -f "ESRI Shapefile" -lco ENCODING=UTF-8 -nln 小区 "$TMP/zip/小区.shp" "$TMP/compounds.geojson"
(cd "$TMP/zip" && zip -q -X -j ../小区.zip 小区.*)
cp "$TMP/小区.zip" "$OUT/小区.zip"
# A GeoPackage holding two layers, 网格 (the grids) and 小区 (the compounds): --layer picks one.
ogr2ogr -f GPKG -lco SPATIAL_INDEX=NO -nln 网格 "$OUT/规划.gpkg" "$SAMPLE/grids.geojson"
ogr2ogr -f GPKG -update -lco SPATIAL_INDEX=NO -nln 小区 "$OUT/规划.gpkg" "$TMP/compounds.geojson"
ogrinfo -q "$OUT/规划.gpkg" -sql VACUUM >/dev/null
# The 驿站 as an XLSX sheet named Sheet1.
ogr2ogr -f XLSX -oo AUTODETECT_TYPE=YES -nln Sheet1 "$OUT/驿站.xlsx" "$TMP/posts.csv"
# Five named streets (华侨路, 汉中路, 石鼓路, 莫愁路, 新街口转盘) as CAD lines in EPSG:4549 (a DXF has no CRS: --crs).
ogr2ogr -f DXF -t_srs EPSG:4549 -where "name IN ('华侨路', '汉中路', '石鼓路', '莫愁路', '新街口转盘')" "$OUT/路网.dxf" "$SAMPLE/ways.geojson" 2>/dev/null  # a DXF keeps no attributes: ogr2ogr's notes that it drops them are left out
# The tests' OpenStreetMap extract of central Nanjing (Tests/Fixtures/osm), as PBF.
osmium cat --no-progress -o "$OUT/nanjing-xinjiekou.osm.pbf" Tests/Fixtures/osm/nanjing-xinjiekou.osm
ls -l "$OUT"
