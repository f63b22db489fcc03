#!/usr/bin/python3
"""The hands-on's first steps with boto3 (Debian's python3-boto3) against
vpcemud's API: a second client, its own serializer and parser. Two VPCs, a
subnet each, the peering and its acceptance, a route, a group with a rule,
then describe-* read back what was made, and an error comes back as
botocore's ClientError with EC2's code.

usage: boto3-steps.py LAB  (VPCEMU_API_PORT, VPCEMU_CREDENTIALS set; the
lab is up and empty)"""
import configparser
import os
import sys

import boto3
import botocore.exceptions

lab = sys.argv[1]
creds = configparser.ConfigParser()
creds.read(os.environ["VPCEMU_CREDENTIALS"])
session = boto3.Session(
    aws_access_key_id=creds["default"]["aws_access_key_id"],
    aws_secret_access_key=creds["default"]["aws_secret_access_key"],
    region_name="ap-northeast-1")
url = "http://127.0.0.1:%s/%s" % (os.environ["VPCEMU_API_PORT"], lab)
ec2 = session.client("ec2", endpoint_url=url)


def name(kind, n):
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": n}]}]


vpc_a = ec2.create_vpc(CidrBlock="10.1.0.0/16",
                       TagSpecifications=name("vpc", "VPC-A"))["Vpc"]["VpcId"]
vpc_b = ec2.create_vpc(CidrBlock="10.2.0.0/16",
                       TagSpecifications=name("vpc", "VPC-B"))["Vpc"]["VpcId"]
sub = ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.1.1.0/24",
                        AvailabilityZone="ap-northeast-1a")["Subnet"]
assert sub["VpcId"] == vpc_a and sub["AvailableIpAddressCount"] == 251, sub
rt = ec2.create_route_table(VpcId=vpc_a)["RouteTable"]["RouteTableId"]
ec2.associate_route_table(RouteTableId=rt, SubnetId=sub["SubnetId"])
pcx = ec2.create_vpc_peering_connection(VpcId=vpc_a, PeerVpcId=vpc_b)[
    "VpcPeeringConnection"]["VpcPeeringConnectionId"]
ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.2.0.0/16",
                 VpcPeeringConnectionId=pcx)
sg = ec2.create_security_group(GroupName="SG-A", Description="A",
                               VpcId=vpc_a)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
    "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
    "IpRanges": [{"CidrIp": "10.2.0.0/16"}]}])

vpcs = ec2.describe_vpcs()["Vpcs"]
assert sorted(v["CidrBlock"] for v in vpcs) == ["10.1.0.0/16", "10.2.0.0/16"]
routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
assert any(r.get("VpcPeeringConnectionId") == pcx and r["State"] == "active"
           for r in routes), routes
perms = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0][
    "IpPermissions"]
assert perms[0]["FromPort"] == 22 and perms[0]["IpRanges"][0]["CidrIp"] == \
    "10.2.0.0/16", perms
try:
    ec2.delete_vpc(VpcId=vpc_a)
    sys.exit("delete-vpc of a VPC with a subnet succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "DependencyViolation", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
print("boto3 steps: ok")
