namespace Kubesharp.Api.Tests.Validation;

public sealed class MetaValidationTests
{
    private const string Label63 = "a123456789b123456789c123456789d123456789e123456789f123456789abc";

    public static TheoryData<string, string, string, string, string[]> Cases => new()
    {
        { "valid", "", "ConfigMap", "{}", [] },
        {
            "name not a subdomain", "", "ConfigMap", """{"metadata":{"name":"Bad_Name"}}""",
            ["metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        },
        { "no name", "", "ConfigMap", """{"metadata":{"name":null}}""", ["metadata.name: Required value: name or generateName is required"] },
        {
            "service names are DNS-1035 labels", "", "Service", """{"metadata":{"name":"1web"}}""",
            ["metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]
        },
        { "namespace names are labels, without dots", "", "Namespace", """{"metadata":{"name":"a.b"}}""", ["metadata.name: Invalid value: \"a.b\": must not contain dots"] },
        { "a generateName may end with a dash", "", "ConfigMap", """{"metadata":{"name":"web-x2k9q","generateName":"web-"}}""", [] },
        {
            "a bad generateName", "", "ConfigMap", """{"metadata":{"name":"web-x2k9q","generateName":"Web-"}}""",
            ["metadata.generateName: Invalid value: \"Web-\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        },
        { "rbac names are path segments", "rbac.authorization.k8s.io", "Role", """{"metadata":{"name":"a/b:c"}}""", ["metadata.name: Invalid value: \"a/b:c\": may not contain '/'"] },
        { "prefixed label key", "", "ConfigMap", """{"metadata":{"labels":{"example.com/app":"web","app.kubernetes.io/name":"x"}}}""", [] },
        {
            "label key name part", "", "ConfigMap", """{"metadata":{"labels":{"-app":"web"}}}""",
            ["metadata.labels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]
        },
        {
            "label key prefix", "", "ConfigMap", """{"metadata":{"labels":{"Example.com/app":"web"}}}""",
            ["metadata.labels: Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        },
        {
            "label key too long", "", "ConfigMap", "{\"metadata\":{\"labels\":{\"" + Label63 + "x\":\"v\"}}}",
            ["metadata.labels: Invalid value: \"" + Label63 + "x\": name part must be no more than 63 characters"]
        },
        { "label value of 63", "", "ConfigMap", "{\"metadata\":{\"labels\":{\"app\":\"" + Label63 + "\"}}}", [] },
        {
            "label value too long", "", "ConfigMap", "{\"metadata\":{\"labels\":{\"app\":\"" + Label63 + "x\"}}}",
            ["metadata.labels: Invalid value: \"" + Label63 + "x\": must be no more than 63 characters"]
        },
        {
            "label value characters", "", "ConfigMap", """{"metadata":{"labels":{"app":"a b"}}}""",
            ["metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]
        },
        { "annotation keys ignore case", "", "ConfigMap", """{"metadata":{"annotations":{"Example.COM/Note":"anything at all"}}}""", [] },
        {
            "annotation key", "", "ConfigMap", """{"metadata":{"annotations":{"a/b/c":"x"}}}""",
            ["metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        },
        { "annotations over 256 KiB", "", "ConfigMap", "{\"metadata\":{\"annotations\":{\"big\":\"" + new string('x', 262142) + "\"}}}", ["metadata.annotations: Too long: must have at most 262144 bytes"] },
        { "annotations at 256 KiB", "", "ConfigMap", "{\"metadata\":{\"annotations\":{\"big\":\"" + new string('x', 262141) + "\"}}}", [] },
        { "standard finalizer", "", "ConfigMap", """{"metadata":{"finalizers":["kubernetes","example.com/cleanup"]}}""", [] },
        { "unqualified finalizer", "", "ConfigMap", """{"metadata":{"finalizers":["cleanup"]}}""", ["metadata.finalizers[0]: Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified"] },
        {
            "orphan and foreground", "", "ConfigMap", """{"metadata":{"finalizers":["orphan","foregroundDeletion"]}}""",
            ["metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"]
        },
        {
            "owner reference without fields", "", "ConfigMap", """{"metadata":{"ownerReferences":[{"apiVersion":"apps/v1"}]}}""",
            ["metadata.ownerReferences.kind: Invalid value: \"\": must not be empty", "metadata.ownerReferences.name: Invalid value: \"\": must not be empty", "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty"]
        },
        {
            "owner reference without version", "", "ConfigMap", """{"metadata":{"ownerReferences":[{"apiVersion":"apps/","kind":"Deployment","name":"d","uid":"u"}]}}""",
            ["metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty"]
        },
        {
            "two controllers", "", "ConfigMap", """{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"A","name":"a","uid":"1","controller":true},{"apiVersion":"v1","kind":"B","name":"b","uid":"2","controller":true}]}}""",
            ["metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"v1\", Kind:\"A\", Name:\"a\", UID:\"1\", Controller:(*bool)(true), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:\"v1\", Kind:\"B\", Name:\"b\", UID:\"2\", Controller:(*bool)(true), BlockOwnerDeletion:(*bool)(nil)}}: Only one reference can have Controller set to true. Found \"true\" in references for A/a and B/b"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Object_metadata_follows_upstreams_rules(string why, string group, string kind, string patch, string[] expected)
    {
        var valid = kind switch
        {
            "Service" => Objects.Service,
            "Namespace" => Objects.Namespace,
            _ => """{"metadata":{"name":"ok","namespace":"default"}}""",
        };

        ValidationCase.Expect(why, expected, ValidationCase.Create(group, kind, valid, patch));
    }
}
