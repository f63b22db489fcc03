#!/usr/bin/python3
"""What vpcemud's API refuses, and how: each case is a raw HTTP request
(signed by botocore's own SigV4 signer, or not) and the status, error code
and document shape AWS would answer with.

usage: refusals.py LAB  (VPCEMU_API_PORT, VPCEMU_CREDENTIALS set; the lab
is up)"""
import configparser
import os
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

lab = sys.argv[1]
cfg = configparser.ConfigParser()
cfg.read(os.environ["VPCEMU_CREDENTIALS"])
good = Credentials(cfg["default"]["aws_access_key_id"],
                   cfg["default"]["aws_secret_access_key"])
url = "http://127.0.0.1:%s/%s" % (os.environ["VPCEMU_API_PORT"], lab)
FORM = "application/x-www-form-urlencoded; charset=utf-8"
failures = 0


def send(body, creds=good, service="ec2", headers=None, sign=True):
    h = {"Content-Type": FORM}
    h.update(headers or {})
    req = AWSRequest(method="POST", url=url, data=body, headers=h)
    if sign:
        SigV4Auth(creds, service, "ap-northeast-1").add_auth(req)
    p = req.prepare()
    data = p.body.encode() if isinstance(p.body, str) else p.body
    r = urllib.request.Request(p.url, data=data, headers=dict(p.headers),
                               method="POST")
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def code_of(body):
    if body.startswith(b"{"):
        return json.loads(body)["__type"]
    return ET.fromstring(body).find(".//Error/Code").text


def expect(what, got, status, code, root=None):
    global failures
    st, hdrs, body = got
    c = code_of(body) if st != 200 else None
    r = ET.fromstring(body).tag.split("}")[-1] \
        if root and not body.startswith(b"{") else None
    ok = st == status and c == code and (not root or r == root) and \
        hdrs.get("x-amzn-RequestId")
    print("%-40s %s %s %s" % (what, st, c, "ok" if ok else "WRONG"))
    if not ok:
        print(body.decode(errors="replace"))
        failures += 1


ec2 = "Version=2016-11-15&Action="
expect("unsigned", send(ec2 + "DescribeVpcs", sign=False), 401,
       "AuthFailure", "Response")
expect("wrong secret", send(ec2 + "DescribeVpcs", creds=Credentials(
    good.access_key, "x" * 40)), 401, "AuthFailure", "Response")
expect("unknown access key", send(ec2 + "DescribeVpcs", creds=Credentials(
    "AKIAEXAMPLEEXAMPLE00", good.secret_key)), 401, "AuthFailure")
expect("malformed body", send(ec2 + "DescribeVpcs&Filter.1.Name=%zz"), 400,
       "MalformedQueryString", "Response")
expect("unknown Action", send(ec2 + "FrobnicateVpcs"), 400, "InvalidAction",
       "Response")
expect("no Action", send("Version=2016-11-15"), 400, "MissingAction")
expect("missing parameter", send(ec2 + "CreateSubnet&CidrBlock=10.9.1.0/24"),
       400, "MissingParameter", "Response")
expect("unknown parameter", send(ec2 + "DescribeVpcs&Frob=1"), 400,
       "UnknownParameter")
expect("mistyped parameter", send(ec2 + "DescribeVpcs&MaxResults=many"), 400,
       "InvalidParameterValue")
expect("an extra header, not signed", send(ec2 + "DescribeVpcs", headers={
    "X-Test": "x"}), 200, None)
expect("described", send(ec2 + "DescribeVpcs"), 200, None,
       "DescribeVpcsResponse")
iam = "Version=2010-05-08&Action="
expect("IAM wrong secret", send(iam + "CreateRole", service="iam",
       creds=Credentials(good.access_key, "y" * 40)), 403,
       "SignatureDoesNotMatch", "ErrorResponse")
expect("IAM unknown key", send(iam + "CreateRole", service="iam",
       creds=Credentials("AKIAEXAMPLEEXAMPLE00", good.secret_key)), 403,
       "InvalidClientTokenId", "ErrorResponse")
expect("IAM missing parameter", send(iam + "CreateRole&RoleName=R",
       service="iam"), 400, "MissingParameter", "ErrorResponse")
ssm = {"X-Amz-Target": "AmazonSSM.StartSession",
       "Content-Type": "application/x-amz-json-1.1"}
expect("SSM unsigned", send('{"Target":"i-0"}', headers=ssm, sign=False),
       400, "MissingAuthenticationTokenException")
expect("SSM unknown target", send('{"Target":"i-0000000000000000"}',
       service="ssm", headers=ssm), 400, "TargetNotConnected")
expect("SSM other operation", send('{}', service="ssm", headers={
    **ssm, "X-Amz-Target": "AmazonSSM.SendCommand"}), 400,
    "UnknownOperationException")
# An empty lab has no agent to probe: the answer comes at once, still
# through the deferred path's handle.
got = send('{}', service="ssm", headers={
    **ssm, "X-Amz-Target": "AmazonSSM.DescribeInstanceInformation"})
expect("SSM describe, no instance", got, 200, None)
if got[0] == 200 and json.loads(got[2]) != {"InstanceInformationList": []}:
    print("SSM describe, no instance: %r" % got[2])
    failures += 1

# A signature made for one body does not pass with another.
req = AWSRequest(method="POST", url=url, data=ec2 + "DescribeVpcs",
                 headers={"Content-Type": FORM})
SigV4Auth(good, "ec2", "ap-northeast-1").add_auth(req)
p = req.prepare()
r = urllib.request.Request(p.url, data=(ec2 + "DescribeSubnets").encode(),
                           headers=dict(p.headers), method="POST")
try:
    urllib.request.urlopen(r)
    got = (200, {}, b"")
except urllib.error.HTTPError as e:
    got = (e.code, e.headers, e.read())
expect("body swapped after signing", got, 401, "AuthFailure")
sys.exit(1 if failures else 0)
