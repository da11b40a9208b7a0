#!/usr/bin/env python3
"""Open311 GeoReport v2 interop: the edge's /open311/v2 read by georeport
(a PyPI GeoReport client) and posted to exactly as GeoReport v2 gives it.

Usage: open311_georeport.py ROOT JURISDICTION API_KEY
  ROOT  the endpoint's root, e.g. http://127.0.0.1:8080/open311/v2

georeport reads the service list, a service definition and requests, in
JSON and in XML. It has no POST, so requests are posted as GeoReport v2
specifies them (application/x-www-form-urlencoded, api_key among the
fields, attribute[code] for a definition's attributes), once without the
API key, once with a wrong one (both refused, nothing created), then with
the right one (created), the same request again (the same id), and read
back with georeport. Prints one line per check and "N passed, N failed".
"""

import sys
import xml.etree.ElementTree as ElementTree

import requests
from georeport import GeoReport

ROOT, JURISDICTION, API_KEY = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
# A blocked drain at Langxia's centre (weigrid seed langxia).
REQUEST = {
    "jurisdiction_id": JURISDICTION,
    "service_code": "DRAINAGE",
    "lat": "30.80",
    "long": "121.19",
    "address_string": "廊下镇景乐路",
    "description": "路边排水沟堵塞，雨天积水 (interop check)",
    "attribute[difficult]": "false",
    "first_name": "三",
    "last_name": "张",
}

passed, failed = 0, []


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
        print(f"  ok    {name}")
    else:
        failed.append(name)
        print(f"  FAIL  {name}: {detail}")


def as_list(value):
    """xmltodict gives one element as a dict, several as a list."""
    return value if isinstance(value, list) else [value]


def post(fmt, fields):
    return requests.post(
        f"{ROOT}/requests.{fmt}",
        data=fields,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )


as_json = GeoReport(ROOT, jurisdiction=JURISDICTION)
as_xml = GeoReport(ROOT, jurisdiction=JURISDICTION, output_format="xml")

services = as_json.get_service_list()
codes = [s.get("service_code") for s in services]
check("service list (JSON) names DRAINAGE and SANITATION", {"DRAINAGE", "SANITATION"} <= set(codes), codes)
check(
    "every service has the GeoReport fields",
    all({"service_code", "service_name", "metadata", "type"} <= set(s) for s in services),
    services[:1],
)
xml_services = as_list(as_xml.get_service_list())
check(
    "service list (XML) has the same codes",
    sorted(s.get("service_code") for s in xml_services) == sorted(codes),
    [s.get("service_code") for s in xml_services],
)

with_metadata = [s["service_code"] for s in services if str(s.get("metadata")).lower() == "true"]
check("some service has metadata (a definition)", "DRAINAGE" in with_metadata, with_metadata)
definition = as_json.get_service_definition("DRAINAGE")
attributes = definition.get("attributes") or []
check(
    "definition (JSON) of DRAINAGE lists its attributes",
    definition.get("service_code") == "DRAINAGE" and any(a.get("code") == "difficult" for a in attributes),
    definition,
)
xml_definition = as_xml.get_service_definition("DRAINAGE")
xml_attributes = as_list((xml_definition.get("attributes") or {}).get("attribute") or [])
check(
    "definition (XML) of DRAINAGE lists the same attributes",
    sorted(a.get("code") for a in xml_attributes) == sorted(a.get("code") for a in attributes),
    xml_definition,
)

before = as_json.get_service_requests(service_code="DRAINAGE")

missing = post("json", REQUEST)
body = missing.json() if missing.headers.get("content-type", "").startswith("application/json") else None
check(
    "POST without api_key is refused with a GeoReport error naming it",
    missing.status_code in (400, 401, 403)
    and isinstance(body, list)
    and "api_key" in (body[0].get("description") or ""),
    f"{missing.status_code} {missing.text[:200]}",
)
wrong = post("xml", {**REQUEST, "api_key": "not-a-key"})
root = ElementTree.fromstring(wrong.content) if wrong.content.startswith(b"<") else None
check(
    "POST with a wrong api_key is refused, in XML",
    wrong.status_code in (401, 403) and root is not None and root.tag == "errors",
    f"{wrong.status_code} {wrong.text[:200]}",
)
check(
    "nothing was created by the refused posts",
    len(as_json.get_service_requests(service_code="DRAINAGE")) == len(before),
    "",
)

created = post("json", {**REQUEST, "api_key": API_KEY})
answer = created.json()
request_id = answer[0].get("service_request_id") if isinstance(answer, list) and answer else None
check("POST with the api_key creates a request (201)", created.status_code == 201 and request_id, created.text[:200])
again = post("xml", {**REQUEST, "api_key": API_KEY})
root = ElementTree.fromstring(again.content)
again_id = root.findtext("./request/service_request_id")
check("the same request posted again (XML) is the same request", again_id == request_id, again.text[:200])

one = as_json.get_service_request(request_id)
check(
    "the request read back (JSON) with its service, place and status",
    one.get("service_request_id") == request_id
    and one.get("service_code") == "DRAINAGE"
    and one.get("status") in ("open", "closed")
    and abs(float(one.get("lat")) - 30.80) < 1e-6,
    one,
)
xml_one = as_xml.get_service_request(request_id)
xml_one = as_list(xml_one)[0]
check(
    "the request read back (XML) says the same",
    xml_one.get("service_request_id") == request_id and xml_one.get("status") == one.get("status"),
    xml_one,
)
listed = as_json.get_service_requests(service_request_id=request_id)
check("requests?service_request_id= (JSON) finds it", [r.get("service_request_id") for r in listed] == [request_id], listed)
xml_listed = as_list(as_xml.get_service_requests(service_code="DRAINAGE", status="open"))
check(
    "requests?service_code=&status=open (XML) lists it",
    request_id in [r.get("service_request_id") for r in xml_listed],
    [r.get("service_request_id") for r in xml_listed],
)

print(f"georeport: {passed} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
