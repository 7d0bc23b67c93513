namespace Kubesharp.Api.Tests.Validation;

public sealed class ConfigValidationTests
{
    public static TheoryData<string, string, string, string[]> Cases => new()
    {
        { "config map", "ConfigMap", """{"data":{"app.properties":"a=b","KEY_2":"x"}}""", [] },
        {
            "config key", "ConfigMap", """{"data":{"a/b":"x"}}""",
            ["data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]
        },
        { "dot dot key", "ConfigMap", """{"data":{"..data":"x"}}""", ["data[..data]: Invalid value: \"..data\": must not start with '..'"] },
        { "key in data and binaryData", "ConfigMap", """{"data":{"k":"x"},"binaryData":{"k":"eA=="}}""", ["data[k]: Invalid value: \"k\": duplicate of key present in binaryData"] },
        { "config map over 1 MiB", "ConfigMap", "{\"data\":{\"big\":\"" + new string('x', 1024 * 1024 + 1) + "\"}}", [": Too long: must have at most 1048576 bytes"] },
        { "secret", "Secret", "{}", [] },
        { "secret key", "Secret", """{"data":{"a b":"eA=="}}""", ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"] },
        { "docker config json", "Secret", """{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"eyJhdXRocyI6e319"}}""", [] },
        { "docker config json missing", "Secret", """{"type":"kubernetes.io/dockerconfigjson"}""", ["data[.dockerconfigjson]: Required value"] },
        { "docker config json not JSON", "Secret", """{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"bm9wZQ=="}}""", ["data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'n' looking for beginning of value"] },
        { "basic auth", "Secret", """{"type":"kubernetes.io/basic-auth","data":null}""", ["data[username]: Required value", "data[password]: Required value"] },
        { "basic auth with a username", "Secret", """{"type":"kubernetes.io/basic-auth","stringData":{"username":"admin"}}""", [] },
        { "ssh auth", "Secret", """{"type":"kubernetes.io/ssh-auth"}""", ["data[ssh-privatekey]: Required value"] },
        { "tls", "Secret", """{"type":"kubernetes.io/tls","data":{"tls.crt":"eA=="}}""", ["data[tls.key]: Required value"] },
        { "service account token", "Secret", """{"type":"kubernetes.io/service-account-token"}""", ["metadata.annotations[kubernetes.io/service-account.name]: Required value"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Config_maps_and_secrets_follow_upstreams_rules(string why, string kind, string patch, string[] expected) =>
        ValidationCase.Expect(why, expected, ValidationCase.Create("", kind, kind == "Secret" ? Objects.Secret : Objects.ConfigMap, patch));

    public static TheoryData<string, string, string, string, string[]> UpdateCases => new()
    {
        { "mutable config map", "ConfigMap", "{}", """{"data":{"key":"new"}}""", [] },
        { "immutable data", "ConfigMap", """{"immutable":true}""", """{"immutable":true,"data":{"key":"new"}}""", ["data: Forbidden: field is immutable when `immutable` is set"] },
        { "unsetting immutable", "ConfigMap", """{"immutable":true}""", """{"immutable":false}""", ["immutable: Forbidden: field is immutable when `immutable` is set"] },
        { "immutable labels may change", "ConfigMap", """{"immutable":true}""", """{"immutable":true,"metadata":{"labels":{"a":"b"}}}""", [] },
        { "immutable secret", "Secret", """{"immutable":true}""", """{"immutable":true,"data":{"key":"eA=="}}""", ["data: Forbidden: field is immutable when `immutable` is set"] },
        { "secret type", "Secret", "{}", """{"type":"kubernetes.io/basic-auth","data":{"username":"eA=="}}""", ["type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable"] },
    };

    [Theory]
    [MemberData(nameof(UpdateCases))]
    public void Immutable_config_maps_and_secrets_refuse_changes(string why, string kind, string oldPatch, string newPatch, string[] expected) =>
        ValidationCase.Expect(why, expected, ValidationCase.Update("", kind, kind == "Secret" ? Objects.Secret : Objects.ConfigMap, oldPatch, newPatch));
}
