#!/bin/bash
# The seed's peering hands-on from an empty lab, driven by Debian's AWS CLI
# 2.x over vpcemud's API: VPCs, subnets, route tables, the peering and its
# acceptance, routes, groups, the Session Manager role and endpoints,
# instances, `aws ssm describe-instance-information` (EC2-A, with the role
# and the endpoints, Online; EC2-B, without the role, not listed), then
# `aws ssm start-session` (through vpcemu's session-manager-plugin) in
# which EC2-A pings EC2-B: it fails while RT-B has no route back, and works
# once it has.
#
# usage: awscli-handson.sh LAB   (root; VPCEMU, VPCEMU_API_PORT and
# VPCEMU_CREDENTIALS name the vpcemu, port and key of the daemon to use)
set -eu
lab=$1
: "${VPCEMU:?}" "${VPCEMU_API_PORT:?}" "${VPCEMU_CREDENTIALS:?}"
bin=$(cd "$(dirname "$VPCEMU")" && pwd)
# Debian's aws and python, not another found first on PATH; vpcemu's
# session-manager-plugin, which the CLI runs by name.
export PATH="$bin:/usr/bin:/bin:/usr/sbin:/sbin"
export AWS_SHARED_CREDENTIALS_FILE=$VPCEMU_CREDENTIALS AWS_CONFIG_FILE=/dev/null
export AWS_DEFAULT_REGION=ap-northeast-1 AWS_PAGER=
aws() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$VPCEMU_API_PORT/$lab" "$@"; }
tag() { echo "ResourceType=$1,Tags=[{Key=Name,Value=$2}]"; }
step() { echo "== $*" >&2; }

"$VPCEMU" up --empty "$lab" --region ap-northeast-1 >/dev/null

step VPCs, subnets, route tables
vpc_a=$(aws ec2 create-vpc --cidr-block 10.1.0.0/16 \
	--tag-specifications "$(tag vpc VPC-A)" --query Vpc.VpcId --output text)
vpc_b=$(aws ec2 create-vpc --cidr-block 10.2.0.0/16 \
	--tag-specifications "$(tag vpc VPC-B)" --query Vpc.VpcId --output text)
aws ec2 modify-vpc-attribute --vpc-id "$vpc_a" --enable-dns-hostnames '{"Value":true}'
sub_a=$(aws ec2 create-subnet --vpc-id "$vpc_a" --cidr-block 10.1.1.0/24 \
	--availability-zone ap-northeast-1a --tag-specifications "$(tag subnet A-1a)" \
	--query Subnet.SubnetId --output text)
sub_b=$(aws ec2 create-subnet --vpc-id "$vpc_b" --cidr-block 10.2.1.0/24 \
	--availability-zone ap-northeast-1a --tag-specifications "$(tag subnet B-1a)" \
	--query Subnet.SubnetId --output text)
rt_a=$(aws ec2 create-route-table --vpc-id "$vpc_a" \
	--tag-specifications "$(tag route-table RT-A)" --query RouteTable.RouteTableId --output text)
rt_b=$(aws ec2 create-route-table --vpc-id "$vpc_b" \
	--tag-specifications "$(tag route-table RT-B)" --query RouteTable.RouteTableId --output text)
aws ec2 associate-route-table --route-table-id "$rt_a" --subnet-id "$sub_a" >/dev/null
aws ec2 associate-route-table --route-table-id "$rt_b" --subnet-id "$sub_b" >/dev/null

step peering
pcx=$(aws ec2 create-vpc-peering-connection --vpc-id "$vpc_a" --peer-vpc-id "$vpc_b" \
	--tag-specifications "$(tag vpc-peering-connection A-to-B)" \
	--query VpcPeeringConnection.VpcPeeringConnectionId --output text)
state=$(aws ec2 accept-vpc-peering-connection --vpc-peering-connection-id "$pcx" \
	--query VpcPeeringConnection.Status.Code --output text)
case $state in provisioning|active) ;; *) echo "peering is $state after accept" >&2; exit 1;; esac
aws ec2 create-route --route-table-id "$rt_a" --destination-cidr-block 10.2.0.0/16 \
	--vpc-peering-connection-id "$pcx" >/dev/null

step security groups
sg_a=$(aws ec2 create-security-group --group-name SG-EC2-A --description EC2-A \
	--vpc-id "$vpc_a" --query GroupId --output text)
sg_b=$(aws ec2 create-security-group --group-name SG-EC2-B --description EC2-B \
	--vpc-id "$vpc_b" --query GroupId --output text)
sg_e=$(aws ec2 create-security-group --group-name SG-Endpoints \
	--description 'HTTPS from the VPC' --vpc-id "$vpc_a" --query GroupId --output text)
aws ec2 authorize-security-group-ingress --group-id "$sg_b" \
	--ip-permissions "IpProtocol=icmp,FromPort=-1,ToPort=-1,UserIdGroupPairs=[{GroupId=$sg_a}]" >/dev/null
aws ec2 authorize-security-group-ingress --group-id "$sg_a" \
	--protocol icmp --port -1 --source-group "$sg_b" >/dev/null
aws ec2 authorize-security-group-ingress --group-id "$sg_e" \
	--protocol tcp --port 443 --cidr 10.1.0.0/16 >/dev/null

step IAM role for Session Manager
aws iam create-role --role-name SSMRole --assume-role-policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
	--query Role.RoleName --output text >/dev/null
aws iam attach-role-policy --role-name SSMRole \
	--policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
aws iam create-instance-profile --instance-profile-name SSMRole >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name SSMRole --role-name SSMRole

step endpoints
for svc in ssm ssmmessages ec2messages; do
	aws ec2 create-vpc-endpoint --vpc-id "$vpc_a" --vpc-endpoint-type Interface \
		--service-name "com.amazonaws.ap-northeast-1.$svc" --subnet-ids "$sub_a" \
		--security-group-ids "$sg_e" --private-dns-enabled \
		--tag-specifications "$(tag vpc-endpoint "VPCE-$svc")" >/dev/null
done

step instances
ec2_a=$(aws ec2 run-instances --image-id ami-0123456789abcdef0 --instance-type t3.micro \
	--subnet-id "$sub_a" --private-ip-address 10.1.1.10 --security-group-ids "$sg_a" \
	--iam-instance-profile Name=SSMRole --tag-specifications "$(tag instance EC2-A)" \
	--query 'Instances[0].InstanceId' --output text)
aws ec2 run-instances --image-id ami-0123456789abcdef0 --instance-type t3.micro \
	--subnet-id "$sub_b" --private-ip-address 10.2.1.10 --security-group-ids "$sg_b" \
	--tag-specifications "$(tag instance EC2-B)" >/dev/null

step "Session Manager: the managed instances"
# The agent is probed for real: only EC2-A, which has the role, is
# listed, Online through its VPC's endpoints.
managed=$(aws ssm describe-instance-information \
	--query 'InstanceInformationList[].[InstanceId,PingStatus]' --output text)
if [ "$managed" != "$ec2_a	Online" ]; then
	echo "describe-instance-information lists '$managed', not '$ec2_a Online'" >&2
	exit 1
fi

step "Session Manager: no route back yet, the ping fails"
if echo 'ping -c 1 -W 1 10.2.1.10' | aws ssm start-session --target "$ec2_a"; then
	echo "ping reached EC2-B before RT-B routes back" >&2
	exit 1
fi

step route back
aws ec2 create-route --route-table-id "$rt_b" --destination-cidr-block 10.1.0.0/16 \
	--vpc-peering-connection-id "$pcx" >/dev/null
n=$(aws ec2 describe-route-tables --route-table-ids "$rt_b" \
	--query "length(RouteTables[0].Routes[?VpcPeeringConnectionId=='$pcx'])" --output text)
[ "$n" = 1 ] || { echo "RT-B has $n routes to $pcx" >&2; exit 1; }

step "Session Manager: ping -c 3 10.2.1.10"
echo 'ping -c 3 10.2.1.10' | aws ssm start-session --target "$ec2_a"
echo "awscli hands-on: ok"
