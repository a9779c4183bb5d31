"""What must always hold of template.yaml once SAM has transformed it (issue 15).

Each test names the property it guards; each fails when the template lines
that give the property are removed (the assertions look at the generated
CloudFormation, not at the comments).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from conftest import sam_template, transform

# ------------------------------------------------------------------ helpers

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The functions that sign list cursors, and so the only ones that get the key
# (the tutorial's list signs the cursor of its Link to the rest of the shelf).
CURSOR_SIGNERS = {"ListBooksFunction", "BookHistoryFunction", "TutorialListBooksFunction"}
REQUIRED_CURSOR_SIGNERS = CURSOR_SIGNERS
# Alarms that are not per function.
STACK_ALARMS = {
    "Api5xxRateAlarm",
    "ApiLatencyP99Alarm",
    "TableThrottlesAlarm",
    "HistoryIteratorAgeAlarm",
    "HistoryDestinationFailuresAlarm",
    "HistoryFailedRecordsAlarm",
}
# Alarms every deploy rolls back on, besides the function's own Errors alarm.
# Not the API's alarms: they name the API, whose routes invoke the aliases,
# whose update policies name the deployment groups (a cycle).
ROLLBACK_ALARMS: set[str] = set()
# AWS managed policies SAM may attach, and why each is acceptable:
#   AWSLambdaBasicExecutionRole: logs:CreateLogGroup/CreateLogStream/PutLogEvents (logs only);
#   AWSXrayWriteOnlyAccess: X-Ray trace writes (Tracing: Active);
#   AWSCodeDeployRoleForLambda: the CodeDeploy service role SAM makes for
#     DeploymentPreference (shifts alias traffic, reads alarms); not a function's role.
ALLOWED_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
}


def of_type(resources: dict, kind: str) -> dict:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def sam_functions() -> dict:
    return of_type(sam_template()["Resources"], "AWS::Serverless::Function")


def short(function_id: str) -> str:
    """ListBooksFunction -> ListBooks: the prefix of the function's alarms and log group."""
    assert function_id.endswith("Function"), function_id
    return function_id[: -len("Function")]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def is_ref(value, target: str) -> bool:
    return value == {"Ref": target}


def is_get_att(value, target: str, attribute: str) -> bool:
    return isinstance(value, dict) and value.get("Fn::GetAtt") in (
        [target, attribute],
        f"{target}.{attribute}",
    )


def http_routes() -> list[tuple[str, str, str]]:
    """(function, METHOD, path) of every HttpApi event in template.yaml."""
    routes = []
    for name, function in sam_functions().items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event.get("Properties", {})
                routes.append((name, props.get("Method", "ANY").upper(), props["Path"]))
    return routes


def write_routes() -> set[str]:
    return {f"{method} {path}" for _, method, path in http_routes() if method in WRITE_METHODS}


def references(value) -> set[str]:
    """Logical ids that a CloudFormation value refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        elif len(value) == 1 and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else target.split(".")[0])
        elif len(value) == 1 and "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                name = name.split(".")[0]
                if name not in variables:
                    found.add(name)
            found |= references(variables)
        else:
            for item in value.values():
                found |= references(item)
    return found


def policy_documents(resources: dict):
    """(resource, policy name, document) of every identity policy in the output."""
    for name, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                yield name, policy["PolicyName"], policy["PolicyDocument"]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield name, name, props["PolicyDocument"]


def allow_statements(document: dict):
    for statement in as_list(document["Statement"]):
        if statement.get("Effect") == "Allow":
            yield statement


# ------------------------------------------------------------- the transform


def test_the_template_transforms_offline(cfn):
    assert cfn["Resources"], "the transform produced no resources"


def test_no_circular_dependency(resources):
    """Ref, GetAtt, Sub and DependsOn edges between resources sort topologically."""
    edges = {}
    for name, resource in resources.items():
        deps = references(resource.get("Properties", {})) | references(resource.get("UpdatePolicy", {}))
        deps |= set(as_list(resource.get("DependsOn", [])))
        edges[name] = {d for d in deps if d in resources and d != name}
    # Kahn: repeatedly remove resources whose dependencies are all removed.
    remaining = dict(edges)
    while True:
        ready = [n for n, deps in remaining.items() if not deps & remaining.keys()]
        if not ready:
            break
        for n in ready:
            del remaining[n]
    assert not remaining, f"resources in or behind a dependency cycle: {sorted(remaining)}"


def test_a_cycle_is_detected_by_the_same_code():
    """The sort above does find a cycle (a guard against a vacuous test)."""
    fake = {
        "A": {"Properties": {"X": {"Ref": "B"}}},
        "B": {"Properties": {"X": {"Fn::Sub": "${A.Arn}"}}},
    }
    assert references(fake["A"]["Properties"]) == {"B"}
    assert references(fake["B"]["Properties"]) == {"A"}


# ------------------------------------------------------------------ logging


def test_every_function_logs_to_its_own_log_group_with_retention(resources, sam):
    functions = of_type(resources, "AWS::Lambda::Function")
    assert set(functions) == set(sam_functions())
    used = set()
    for name, function in functions.items():
        log_group = function["Properties"].get("LoggingConfig", {}).get("LogGroup")
        assert isinstance(log_group, dict) and "Ref" in log_group, f"{name} has no LoggingConfig.LogGroup"
        target = log_group["Ref"]
        assert resources.get(target, {}).get("Type") == "AWS::Logs::LogGroup", f"{name}: {target} is not a log group"
        assert is_ref(resources[target]["Properties"].get("RetentionInDays"), "LogRetentionDays"), (
            f"{target} has no RetentionInDays from LogRetentionDays"
        )
        assert target not in used, f"{target} is shared"
        used.add(target)
    assert sam["Parameters"]["LogRetentionDays"]["Default"] in sam["Parameters"]["LogRetentionDays"]["AllowedValues"]


def test_the_api_stage_writes_a_json_access_log_with_retention(resources):
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    destination = settings["DestinationArn"]
    (log_group,) = references(destination)
    assert resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert is_ref(resources[log_group]["Properties"].get("RetentionInDays"), "LogRetentionDays")
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "1", settings["Format"]))
    for field in ("requestId", "routeKey", "status", "latency", "integrationLatency", "ip", "userAgent", "error"):
        assert field in line, f"the access log has no {field}"


# ------------------------------------------------------------------ IAM


def test_no_identity_policy_grants_wildcard_actions_or_resources_beyond_logs_and_xray(resources):
    offenders = []
    for resource, policy, document in policy_documents(resources):
        for statement in allow_statements(document):
            actions = as_list(statement.get("Action", []))
            exempt = all(a.startswith(("logs:", "xray:")) for a in actions)
            if not exempt and any(a == "*" or a.endswith(":*") for a in actions):
                offenders.append((resource, policy, "action", actions))
            if not exempt and "*" in as_list(statement.get("Resource", [])):
                offenders.append((resource, policy, "resource *", actions))
            if "NotAction" in statement or "NotResource" in statement:
                offenders.append((resource, policy, "NotAction/NotResource", actions))
    assert not offenders, offenders


def test_only_the_expected_managed_policies_are_attached(resources):
    for name, role in of_type(resources, "AWS::IAM::Role").items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert arn in ALLOWED_MANAGED_POLICIES, f"{name} gets {arn}"


def test_record_history_reads_only_this_tables_stream(resources):
    role_ref = resources["RecordHistoryFunction"]["Properties"]["Role"]
    (role,) = references(role_ref)
    stream_actions = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
    granted = set()
    for resource, _, document in policy_documents(resources):
        if resource != role:
            continue
        for statement in allow_statements(document):
            actions = set(as_list(statement["Action"]))
            if actions & stream_actions:
                assert all(is_get_att(r, "BooksTable", "StreamArn") for r in as_list(statement["Resource"])), statement
                granted |= actions & stream_actions
            if "dynamodb:ListStreams" in actions:
                assert statement["Resource"] == {"Fn::Sub": "${BooksTable.Arn}/stream/*"}, statement
    assert granted == stream_actions
    assert not resources[role]["Properties"].get("ManagedPolicyArns"), "record-history's role has managed policies"


def test_no_function_is_granted_an_action_it_never_calls(resources):
    # create-book's transaction holds Put items only: no ConditionCheck item.
    for resource, policy, document in policy_documents(resources):
        for statement in allow_statements(document):
            assert "dynamodb:ConditionCheckItem" not in as_list(statement["Action"]), (resource, policy)


def test_the_kms_key_policy_grants_no_wildcard_action(resources):
    for name, key in of_type(resources, "AWS::KMS::Key").items():
        for statement in allow_statements(key["Properties"]["KeyPolicy"]):
            for action in as_list(statement["Action"]):
                assert action not in ("*", "kms:*"), f"{name}: {statement.get('Sid')} grants {action}"
            principal = statement["Principal"]
            assert principal != "*" and principal != {"AWS": "*"}, f"{name}: {statement.get('Sid')} is open to anyone"


# ------------------------------------------------------- alarms and deploys


def http_functions() -> dict:
    """The functions API Gateway invokes (they answer HTTP and count their own 5xx)."""
    return {
        name: function
        for name, function in sam_functions().items()
        if any(event["Type"] == "HttpApi" for event in function["Properties"].get("Events", {}).values())
    }


def function_alarms(function: str) -> set[str]:
    """The alarms of one function: Errors and Throttles, and for an HTTP function its own 5xx."""
    kinds = ["Errors", "Throttles"] + (["ServerErrors"] if function in http_functions() else [])
    return {f"{short(function)}{kind}Alarm" for kind in kinds}


def expected_alarms() -> set[str]:
    per_function = set().union(*(function_alarms(f) for f in sam_functions()))
    return STACK_ALARMS | per_function


def test_every_alarm_exists_and_notifies_the_encrypted_topic(resources):
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    missing = expected_alarms() - alarms.keys()
    assert not missing, f"missing alarms: {sorted(missing)}"
    topic = resources["AlarmTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    assert topic["Properties"].get("KmsMasterKeyId"), "the alarm topic is not encrypted"
    for name, alarm in alarms.items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"].get("AlarmActions", []), f"{name} notifies nobody"


def test_each_function_alarm_watches_its_function(resources):
    for function in sam_functions():
        for kind, metric in (("Errors", "Errors"), ("Throttles", "Throttles")):
            props = resources[f"{short(function)}{kind}Alarm"]["Properties"]
            assert (props["Namespace"], props["MetricName"]) == ("AWS/Lambda", metric)
            assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    for function in http_functions():
        props = resources[f"{short(function)}ServerErrorsAlarm"]["Properties"]
        assert (props["Namespace"], props["MetricName"]) == ("Bookshelf", "5xx")
        assert props["Dimensions"] == [{"Name": "Function", "Value": {"Ref": function}}]


def test_the_stack_alarms_watch_the_documented_metrics(resources):
    def metrics(name):
        props = resources[name]["Properties"]
        if "Metrics" in props:
            return {(m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
                    for m in props["Metrics"] if "MetricStat" in m}
        return {(props["Namespace"], props["MetricName"])}

    assert metrics("Api5xxRateAlarm") == {("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Count")}
    assert metrics("ApiLatencyP99Alarm") == {("AWS/ApiGateway", "Latency")}
    assert resources["ApiLatencyP99Alarm"]["Properties"]["ExtendedStatistic"] == "p99"
    assert metrics("TableThrottlesAlarm") == {("AWS/DynamoDB", "ReadThrottleEvents"), ("AWS/DynamoDB", "WriteThrottleEvents")}
    assert metrics("HistoryIteratorAgeAlarm") == {("AWS/Lambda", "IteratorAge")}
    assert metrics("HistoryDestinationFailuresAlarm") == {("AWS/Lambda", "DestinationDeliveryFailures")}
    assert metrics("HistoryFailedRecordsAlarm") == {("AWS/S3", "NumberOfObjects")}


def test_every_function_deploys_through_codedeploy_and_rolls_back_on_its_alarms(resources):
    groups = of_type(resources, "AWS::CodeDeploy::DeploymentGroup")
    for function in sam_functions():
        group = groups.get(f"{function}DeploymentGroup")
        assert group, f"{function} has no deployment preference"
        props = group["Properties"]
        assert props["AutoRollbackConfiguration"]["Enabled"] is True
        assert "DEPLOYMENT_STOP_ON_ALARM" in props["AutoRollbackConfiguration"]["Events"]
        config = props.get("AlarmConfiguration", {})
        assert config.get("Enabled") is True, f"{function}'s deploy watches no alarm"
        names = {next(iter(references(a["Name"]))) for a in config["Alarms"]}
        rollback = function_alarms(function) - {f"{short(function)}ThrottlesAlarm"}
        assert names >= ROLLBACK_ALARMS | rollback, (function, names)
        assert len(config["Alarms"]) <= 10, "CodeDeploy takes at most 10 alarms per deployment group"
        alias = resources[f"{function}Aliaslive"]
        assert alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"] == {"Ref": f"{function}DeploymentGroup"}


@pytest.mark.parametrize(("environment", "config"), [("dev", "AllAtOnce"), ("prod", "Canary10Percent5Minutes")])
def test_the_deployment_type_follows_the_environment(environment, config):
    groups = of_type(transform(Environment=environment)["Resources"], "AWS::CodeDeploy::DeploymentGroup")
    assert groups
    for name, group in groups.items():
        assert group["Properties"]["DeploymentConfigName"] == {
            "Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}", {"ConfigName": config}]
        }, name


def test_routes_and_the_stream_invoke_the_live_alias(resources):
    (api,) = of_type(resources, "AWS::ApiGatewayV2::Api").values()
    uris = []
    for path, operations in api["Properties"]["Body"]["paths"].items():
        for method, operation in operations.items():
            uris.append((f"{method.upper()} {path}", operation["x-amazon-apigateway-integration"]["uri"]))
    assert uris
    for route, uri in uris:
        targets = references(uri) & resources.keys()
        assert targets and all(resources[t]["Type"] == "AWS::Lambda::Alias" for t in targets), (route, uri)
    for name, mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").items():
        (target,) = references(mapping["Properties"]["FunctionName"])
        assert resources[target]["Type"] == "AWS::Lambda::Alias", name


def test_the_dashboard_shows_every_alarm(resources):
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    json.loads(re.sub(r"\$\{[^}]+\}", "0", body))  # valid JSON once substituted
    shown = {name.split(".")[0] for name in re.findall(r"\$\{([^}]+\.Arn)\}", body)}
    assert expected_alarms() <= shown, sorted(expected_alarms() - shown)


# -------------------------------------------------------------- throttling


def test_every_route_is_throttled_and_write_routes_tighter(resources, sam):
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    default = props.get("DefaultRouteSettings", {})
    assert is_ref(default.get("ThrottlingBurstLimit"), "ApiThrottlingBurstLimit")
    assert is_ref(default.get("ThrottlingRateLimit"), "ApiThrottlingRateLimit")
    routes = props.get("RouteSettings", {})
    expected = write_routes()
    assert expected, "the template has no write routes?"
    missing = expected - routes.keys()
    assert not missing, f"write routes without their own throttling: {sorted(missing)}"
    for route in expected:
        assert is_ref(routes[route].get("ThrottlingBurstLimit"), "WriteThrottlingBurstLimit"), route
        assert is_ref(routes[route].get("ThrottlingRateLimit"), "WriteThrottlingRateLimit"), route
    parameters = sam["Parameters"]
    assert parameters["WriteThrottlingBurstLimit"]["Default"] < parameters["ApiThrottlingBurstLimit"]["Default"]
    assert parameters["WriteThrottlingRateLimit"]["Default"] < parameters["ApiThrottlingRateLimit"]["Default"]


def test_route_settings_name_only_existing_routes(resources):
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    declared = {f"{method} {path}" for _, method, path in http_routes()}
    assert set(stage["Properties"].get("RouteSettings", {})) <= declared


# ------------------------------------------------------------------ auth


WRITE_SCOPE = "bookshelf/books.write"


def authorizer_names(sam) -> set[str]:
    auth = sam["Resources"]["BooksApi"]["Properties"].get("Auth") or {}
    return set(auth.get("Authorizers", {}))


def test_every_write_route_has_the_authorizer(sam, resources):
    """Every write route requires a token with the write scope (API Gateway checks it)."""
    names = authorizer_names(sam)
    assert names, "no Authorizers on the HttpApi BooksApi"
    (cfn_api,) = of_type(resources, "AWS::ApiGatewayV2::Api").values()
    paths = cfn_api["Properties"]["Body"]["paths"]
    unprotected = []
    for route in sorted(write_routes()):
        method, path = route.split(" ", 1)
        operation = paths[path][method.lower()]
        requirements = operation.get("security") or []
        if not any(name in names and scopes == [WRITE_SCOPE] for r in requirements for name, scopes in r.items()):
            unprotected.append(route)
    assert not unprotected, f"write routes without the authorizer and the write scope: {unprotected}"


def test_the_authorizer_is_a_jwt_authorizer_on_the_bearer_header(resources):
    (cfn_api,) = of_type(resources, "AWS::ApiGatewayV2::Api").values()
    schemes = cfn_api["Properties"]["Body"]["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "jwt"
    assert authorizer["identitySource"] == "$request.header.Authorization"
    assert authorizer["jwtConfiguration"]["issuer"] and authorizer["jwtConfiguration"]["audience"]


def test_reads_stay_public(resources):
    (cfn_api,) = of_type(resources, "AWS::ApiGatewayV2::Api").values()
    paths = cfn_api["Properties"]["Body"]["paths"]
    secured = [f"GET {p}" for p, ops in paths.items() if ops.get("get", {}).get("security")]
    assert not secured, f"read routes that need a token: {secured}"
    assert "DefaultAuthorizer" not in cfn_api.get("Properties", {}), "a default authorizer would close the reads"


def test_cognito_is_the_default_identity_provider_with_the_api_scopes(resources):
    (server,) = of_type(resources, "AWS::Cognito::UserPoolResourceServer").values()
    assert server["Properties"]["Identifier"] == "bookshelf"
    assert {s["ScopeName"] for s in server["Properties"]["Scopes"]} == {"books.read", "books.write"}
    clients = of_type(resources, "AWS::Cognito::UserPoolClient")
    web, machine = clients["WebClient"]["Properties"], clients["MachineClient"]["Properties"]
    assert web["AllowedOAuthFlows"] == ["code"] and web["GenerateSecret"] is False
    assert machine["AllowedOAuthFlows"] == ["client_credentials"] and machine["GenerateSecret"] is True
    assert of_type(resources, "AWS::Cognito::UserPoolDomain")


def test_an_external_issuer_replaces_cognito():
    resources = transform(IdentityProvider="external", IssuerUrl="https://issuer.example.com",
                          Audiences="web,machine")["Resources"]
    assert of_type(resources, "AWS::Cognito::UserPool"), "the Cognito resources stay declared (with a Condition)"
    assert all(r.get("Condition") == "UseCognito" for r in resources.values() if r["Type"].startswith("AWS::Cognito::"))


def test_prod_refuses_anonymous_writes(sam):
    rule = sam["Rules"]["ProdRefusesAnonymousWrites"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}
    assert {"Fn::Equals": [{"Ref": "AllowAnonymousWrites"}, "false"]} in [a["Assert"] for a in rule["Assertions"]]
    assert sam["Parameters"]["AllowAnonymousWrites"]["Default"] == "false"
    assert samconfig_overrides()["prod"].get("AllowAnonymousWrites", "false") == "false"


def test_the_web_page_knows_its_issuer_and_client(resources):
    variables = resources["WebPageFunction"]["Properties"]["Environment"]["Variables"]
    assert {"AUTH_ISSUER", "AUTH_CLIENT_ID", "AUTH_SCOPES"} <= variables.keys()


# ------------------------------------------------------------------ data


def test_the_table_is_protected_from_deletion(resources):
    table = resources["BooksTable"]
    assert table.get("DeletionPolicy") == "Retain"
    assert table.get("UpdateReplacePolicy") == "Retain"
    assert table["Properties"].get("DeletionProtectionEnabled") is True
    assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_only_cursor_signing_functions_get_the_cursor_key(resources, sam):
    globals_env = sam.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    assert "CURSOR_SECRET" not in globals_env, "CURSOR_SECRET is in Globals: every function gets it"
    holders = {
        name
        for name, function in of_type(resources, "AWS::Lambda::Function").items()
        if "CURSOR_SECRET" in function["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert holders <= CURSOR_SIGNERS, f"functions that sign no cursor get the key: {sorted(holders - CURSOR_SIGNERS)}"
    assert holders >= REQUIRED_CURSOR_SIGNERS, f"cursor signers without the key: {sorted(REQUIRED_CURSOR_SIGNERS - holders)}"


def test_failed_history_records_go_whole_to_a_locked_down_bucket(resources):
    (mapping,) = of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    destination = mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    (bucket_id,) = references(destination)
    bucket = resources[bucket_id]
    assert bucket["Type"] == "AWS::S3::Bucket"
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"][k] is True for k in
               ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert props.get("VersioningConfiguration", {}).get("Status") == "Enabled" or props.get("LifecycleConfiguration")
    policies = [p for p in of_type(resources, "AWS::S3::BucketPolicy").values() if is_ref(p["Properties"]["Bucket"], bucket_id)]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        for p in policies for s in as_list(p["Properties"]["PolicyDocument"]["Statement"])
    ), "the failure bucket accepts plain HTTP"
    # ... and the function's role may write there.
    (role,) = references(resources["RecordHistoryFunction"]["Properties"]["Role"])
    writes = [s for r, _, d in policy_documents(resources) if r == role for s in allow_statements(d)
              if "s3:PutObject" in as_list(s["Action"])]
    assert writes and all(references(s["Resource"]) == {bucket_id} for s in writes)



# ------------------------------------------------------------ environments


def samconfig_overrides() -> dict[str, dict[str, str]]:
    import tomllib

    from conftest import ROOT

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = {}
    for env in ("dev", "prod"):
        text = config[env]["deploy"]["parameters"]["parameter_overrides"]
        overrides[env] = dict(item.split("=", 1) for item in text.split())
    return overrides


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_samconfig_environment_transforms_and_keeps_writes_tighter(env, sam):
    overrides = samconfig_overrides()[env]
    assert overrides["Environment"] == env
    unknown = overrides.keys() - sam["Parameters"].keys()
    assert not unknown, f"samconfig {env} sets unknown parameters {sorted(unknown)}"
    for name, value in overrides.items():
        allowed = sam["Parameters"][name].get("AllowedValues")
        assert allowed is None or value in map(str, allowed), (name, value)
    assert int(overrides["WriteThrottlingBurstLimit"]) < int(overrides["ApiThrottlingBurstLimit"])
    assert int(overrides["WriteThrottlingRateLimit"]) < int(overrides["ApiThrottlingRateLimit"])
    assert transform(**overrides)["Resources"]


def test_metric_math_alarms_stay_within_cloudwatchs_limits(resources):
    """A metric math alarm may reference at most 10 metrics (a hard limit): an
    index added to the table must not push the throttles alarm past it."""
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        queries = alarm["Properties"].get("Metrics", [])
        stats = [query for query in queries if "MetricStat" in query]
        assert len(stats) <= 10, f"{name} reads {len(stats)} metrics"
        assert len(queries) <= 20, f"{name} has {len(queries)} queries"
