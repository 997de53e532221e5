"""gen_register.py N OUT_DIR -- the same N elevators twice: as a sereg import CSV (Chinese attribute
titles, like a government spreadsheet) and as the matching COPY file for a plain psql \\copy of the
same rows into the equipment table. The user unit must have organization id UNIT_ID."""
import json
import sys

n, out = int(sys.argv[1]), sys.argv[2]
unit, unit_id, maint = sys.argv[3], sys.argv[4], sys.argv[5]
with open(f"{out}/register.csv", "w", encoding="utf-8") as csv, open(f"{out}/register.copy", "w", encoding="utf-8") as cp:
    csv.write("设备代码,设备类别,管辖区域,使用单位统一社会信用代码,使用地点,投用日期,品种,额定载重量 (kg),"
              "额定速度 (m/s),层站数,维护保养单位统一社会信用代码\n")
    for i in range(n):
        s = f"{i:010d}"
        code = f"3110{s[:5]}2019{s[5:]}"
        addr = f"成都市锦江区测试路{i}号"
        csv.write(f"{code},电梯,510104,{unit},{addr},2020-05-01,3110,1000,1.75,12,{maint}\n")
        attrs = json.dumps({"variety": "3110", "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 12,
                            "maintenance_unit": maint}, ensure_ascii=False)
        cp.write(f"{code}\televator\t3110\t梯11川A{i:07d}(26)\t510104\t{unit_id}\t{addr}\t2020-05-01\t{attrs}\t"
                 f"in_service\televator.lua@1.1.0\n")
