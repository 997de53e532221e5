-- 0002_jurisdictions.sql -- Chengdu and its district-level units (GB/T 2260, REGULATIONS §7), the
-- two functional zones under internal codes, and retired codes kept for legacy records.
INSERT INTO jurisdiction (code, name, kind, parent, division_code, valid_from, plate_prefix) VALUES
  ('510100', '成都市', 'city', NULL, '510100', '1981-01-01', '川A');

INSERT INTO jurisdiction (code, name, kind, parent, division_code, valid_from) VALUES
  ('510104', '锦江区', 'district', '510100', '510104', '1990-01-01'),
  ('510105', '青羊区', 'district', '510100', '510105', '1990-01-01'),
  ('510106', '金牛区', 'district', '510100', '510106', '1990-01-01'),
  ('510107', '武侯区', 'district', '510100', '510107', '1990-01-01'),
  ('510108', '成华区', 'district', '510100', '510108', '1990-01-01'),
  ('510112', '龙泉驿区', 'district', '510100', '510112', '1983-01-01'),
  ('510113', '青白江区', 'district', '510100', '510113', '1983-01-01'),
  ('510114', '新都区', 'district', '510100', '510114', '2001-01-01'),
  ('510115', '温江区', 'district', '510100', '510115', '2002-01-01'),
  ('510116', '双流区', 'district', '510100', '510116', '2015-01-01'),
  ('510117', '郫都区', 'district', '510100', '510117', '2016-01-01'),
  ('510118', '新津区', 'district', '510100', '510118', '2020-01-01'),
  ('510121', '金堂县', 'county', '510100', '510121', '1981-01-01'),
  ('510129', '大邑县', 'county', '510100', '510129', '1983-01-01'),
  ('510131', '蒲江县', 'county', '510100', '510131', '1983-01-01'),
  ('510181', '都江堰市', 'county_city', '510100', '510181', '1990-01-01'),
  ('510182', '彭州市', 'county_city', '510100', '510182', '1993-01-01'),
  ('510183', '邛崃市', 'county_city', '510100', '510183', '1994-01-01'),
  ('510184', '崇州市', 'county_city', '510100', '510184', '1994-01-01'),
  ('510185', '简阳市', 'county_city', '510100', '510185', '2016-01-01'),
  ('510100-GX', '成都高新区', 'functional_zone', '510100', NULL, NULL),
  ('510100-TF', '四川天府新区成都直管区', 'functional_zone', '510100', NULL, NULL);

-- Retired units: equipment cannot be registered in them, but legacy data and credit codes
-- (positions 3-8) keep their codes forever, so they resolve to a successor.
INSERT INTO jurisdiction (code, name, kind, parent, division_code, valid_from, valid_to, successor) VALUES
  ('510122', '双流县', 'county', '510100', '510122', '1981-01-01', '2015-12-31', '510116'),
  ('510124', '郫县', 'county', '510100', '510124', '1981-01-01', '2016-12-31', '510117'),
  ('510132', '新津县', 'county', '510100', '510132', '1981-01-01', '2020-06-30', '510118');
