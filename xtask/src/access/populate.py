"""Creates an account from the AWS CLI's output files in a moto server, for tools that read
accounts only through the AWS API (PMapper). Run by `cargo xtask access bench --pmapper`
with the emulator's Python (which has boto3):

    python populate.py ENDPOINT details.json functions.json

Prints one line: the number of requests sent, the seconds taken, and how many users'
permissions boundaries were left out (moto 5.2.5 implements no PutUserPermissionsBoundary,
and its CreateUser ignores the parameter).
"""

import io
import json
import sys
import time
import zipfile

import boto3

endpoint, details_path, functions_path = sys.argv[1:4]
session = dict(endpoint_url=endpoint, region_name="us-east-1",
               aws_access_key_id="testing", aws_secret_access_key="testing")
iam = boto3.client("iam", **session)
lam = boto3.client("lambda", **session)
with open(details_path) as f:
    details = json.load(f)
with open(functions_path) as f:
    functions = json.load(f)["Functions"]
sent = 0
skipped_boundaries = 0
started = time.monotonic()


def call(method, **kwargs):
    global sent
    sent += 1
    return method(**kwargs)


def doc(value):
    return value if isinstance(value, str) else json.dumps(value)


for p in details["Policies"]:
    if ":aws:policy/" in p["Arn"]:
        continue  # AWS-managed: the emulator has them
    versions = p["PolicyVersionList"]
    call(iam.create_policy, PolicyName=p["PolicyName"], Path=p["Path"],
         PolicyDocument=doc(versions[0]["Document"]))
    for v in versions[1:]:
        call(iam.create_policy_version, PolicyArn=p["Arn"],
             PolicyDocument=doc(v["Document"]), SetAsDefault=False)
    default = next(v["VersionId"] for v in versions if v["IsDefaultVersion"])
    if default != versions[0]["VersionId"]:
        call(iam.set_default_policy_version, PolicyArn=p["Arn"], VersionId=default)

for g in details["GroupDetailList"]:
    call(iam.create_group, GroupName=g["GroupName"], Path=g["Path"])
    for a in g["AttachedManagedPolicies"]:
        call(iam.attach_group_policy, GroupName=g["GroupName"], PolicyArn=a["PolicyArn"])
    for i in g["GroupPolicyList"]:
        call(iam.put_group_policy, GroupName=g["GroupName"], PolicyName=i["PolicyName"],
             PolicyDocument=doc(i["PolicyDocument"]))

for u in details["UserDetailList"]:
    call(iam.create_user, UserName=u["UserName"], Path=u["Path"], Tags=u.get("Tags", []))
    for g in u["GroupList"]:
        call(iam.add_user_to_group, UserName=u["UserName"], GroupName=g)
    for a in u["AttachedManagedPolicies"]:
        call(iam.attach_user_policy, UserName=u["UserName"], PolicyArn=a["PolicyArn"])
    for i in u["UserPolicyList"]:
        call(iam.put_user_policy, UserName=u["UserName"], PolicyName=i["PolicyName"],
             PolicyDocument=doc(i["PolicyDocument"]))
    if "PermissionsBoundary" in u:
        skipped_boundaries += 1

for r in details["RoleDetailList"]:
    call(iam.create_role, RoleName=r["RoleName"], Path=r["Path"],
         AssumeRolePolicyDocument=doc(r["AssumeRolePolicyDocument"]))
    for a in r["AttachedManagedPolicies"]:
        call(iam.attach_role_policy, RoleName=r["RoleName"], PolicyArn=a["PolicyArn"])
    for i in r["RolePolicyList"]:
        call(iam.put_role_policy, RoleName=r["RoleName"], PolicyName=i["PolicyName"],
             PolicyDocument=doc(i["PolicyDocument"]))
    if "PermissionsBoundary" in r:
        call(iam.put_role_permissions_boundary, RoleName=r["RoleName"],
             PermissionsBoundary=r["PermissionsBoundary"]["PermissionsBoundaryArn"])
    for p in r["InstanceProfileList"]:
        call(iam.create_instance_profile, InstanceProfileName=p["InstanceProfileName"])
        call(iam.add_role_to_instance_profile, InstanceProfileName=p["InstanceProfileName"],
             RoleName=r["RoleName"])

package = io.BytesIO()
with zipfile.ZipFile(package, "w") as z:
    z.writestr("bootstrap", "")
for f in functions:
    call(lam.create_function, FunctionName=f["FunctionName"], Runtime="provided.al2023",
         Role=f["Role"], Handler="bootstrap", Code={"ZipFile": package.getvalue()})

print(f"{sent} requests in {time.monotonic() - started:.1f} s; "
      f"{skipped_boundaries} user permissions boundaries left out (moto has none for users)")
