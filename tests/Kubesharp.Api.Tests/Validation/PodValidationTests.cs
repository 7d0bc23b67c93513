namespace Kubesharp.Api.Tests.Validation;

public sealed class PodValidationTests
{
    private const string Container = """{"name":"c","image":"nginx:1.27"}""";

    private static string WithContainer(string fields) => "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\"," + fields + "}]}}";

    public static TheoryData<string, string, string[]> Cases => new()
    {
        { "valid", "{}", [] },
        { "no containers", """{"spec":{"containers":[]}}""", ["spec.containers: Required value"] },
        { "nameless imageless container", """{"spec":{"containers":[{}]}}""", ["spec.containers[0].name: Required value", "spec.containers[0].image: Required value"] },
        {
            "bad container name", """{"spec":{"containers":[{"name":"Web_1","image":"x"}]}}""",
            ["spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        },
        { "duplicate container", "{\"spec\":{\"containers\":[" + Container + "," + Container + "]}}", ["spec.containers[1].name: Duplicate value: \"c\""] },
        { "init container named as a container", "{\"spec\":{\"initContainers\":[" + Container + "]}}", ["spec.initContainers[0].name: Duplicate value: \"c\""] },
        { "image with spaces", WithContainer("\"image\":\" nginx\""), ["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace"] },
        { "container port out of range", WithContainer("\"ports\":[{\"containerPort\":70000}]"), ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"] },
        { "container port missing", WithContainer("\"ports\":[{\"name\":\"http\"}]"), ["spec.containers[0].ports[0].containerPort: Required value"] },
        { "host port out of range", WithContainer("\"ports\":[{\"containerPort\":80,\"hostPort\":-1}]"), ["spec.containers[0].ports[0].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive"] },
        { "protocol", WithContainer("\"ports\":[{\"containerPort\":80,\"protocol\":\"HTTP\"}]"), ["spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""] },
        { "duplicate port name", WithContainer("\"ports\":[{\"containerPort\":80,\"name\":\"web\"},{\"containerPort\":81,\"name\":\"web\"}]"), ["spec.containers[0].ports[1].name: Duplicate value: \"web\""] },
        {
            "bad port name", WithContainer("\"ports\":[{\"containerPort\":80,\"name\":\"8080\"}]"),
            ["spec.containers[0].ports[0].name: Invalid value: \"8080\": must contain at least one letter (a-z)"]
        },
        { "host port conflict", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]},{\"name\":\"b\",\"image\":\"x\",\"ports\":[{\"containerPort\":81,\"hostPort\":8080}]}]}}", ["spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\""] },
        { "env name with dots and dashes", WithContainer("\"env\":[{\"name\":\"my.env-name\",\"value\":\"1\"}]"), [] },
        { "env name without a name", WithContainer("\"env\":[{\"value\":\"1\"}]"), ["spec.containers[0].env[0].name: Required value"] },
        { "env name with =", WithContainer("\"env\":[{\"name\":\"A=B\"}]"), ["spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"] },
        { "env from a field", WithContainer("\"env\":[{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}]"), [] },
        {
            "env from an unknown field", WithContainer("\"env\":[{\"name\":\"X\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"spec.hostname\"}}}]"),
            ["spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.hostname\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\""]
        },
        { "env from nothing", WithContainer("\"env\":[{\"name\":\"X\",\"valueFrom\":{}}]"), ["spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"] },
        { "env value and source", WithContainer("\"env\":[{\"name\":\"X\",\"value\":\"v\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]"), ["spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty"] },
        { "image pull policy", WithContainer("\"imagePullPolicy\":\"Sometimes\""), ["spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""] },
        { "restart policy", """{"spec":{"restartPolicy":"Sometimes"}}""", ["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""] },
        { "dns policy", """{"spec":{"dnsPolicy":"Google"}}""", ["spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""] },
        { "dns None without config", """{"spec":{"dnsPolicy":"None"}}""", ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"] },
        { "negative grace period is stored as 1", """{"spec":{"terminationGracePeriodSeconds":-1}}""", [] },
        { "active deadline", """{"spec":{"activeDeadlineSeconds":0}}""", ["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"] },
        { "node selector value", """{"spec":{"nodeSelector":{"disk":"fast ssd"}}}""", ["spec.nodeSelector: Invalid value: \"fast ssd\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"] },
        { "node name", """{"spec":{"nodeName":"Node_1"}}""", ["spec.nodeName: Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"] },
        { "toleration exists with value", """{"spec":{"tolerations":[{"key":"k","operator":"Exists","value":"v"}]}}""", ["spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'"] },
        { "toleration operator", """{"spec":{"tolerations":[{"key":"k","operator":"In"}]}}""", ["spec.tolerations[0].operator: Unsupported value: \"In\": supported values: \"Equal\", \"Exists\""] },
        { "toleration effect", """{"spec":{"tolerations":[{"key":"k","operator":"Exists","effect":"Never"}]}}""", ["spec.tolerations[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""] },
        { "toleration without key", """{"spec":{"tolerations":[{"operator":"Equal","value":"v"}]}}""", ["spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""] },
        { "toleration seconds need NoExecute", """{"spec":{"tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule","tolerationSeconds":5}]}}""", ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"] },
        { "volume and mount", "{\"spec\":{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}]}]}}", [] },
        { "mount of a missing volume", WithContainer("\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}]"), ["spec.containers[0].volumeMounts[0].name: Not found: \"data\""] },
        { "mount without a path", "{\"spec\":{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"volumeMounts\":[{\"name\":\"data\"}]}]}}", ["spec.containers[0].volumeMounts[0].mountPath: Required value"] },
        { "volume without a source", """{"spec":{"volumes":[{"name":"data"}]}}""", ["spec.volumes[0]: Required value: must specify a volume type"] },
        { "volume with two sources", """{"spec":{"volumes":[{"name":"data","emptyDir":{},"hostPath":{"path":"/tmp"}}]}}""", ["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"] },
        { "duplicate volume", """{"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"data","emptyDir":{}}]}}""", ["spec.volumes[1].name: Duplicate value: \"data\""] },
        {
            "volume name", """{"spec":{"volumes":[{"name":"Data","emptyDir":{}}]}}""",
            ["spec.volumes[0].name: Invalid value: \"Data\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        },
        { "config map volume without a name", """{"spec":{"volumes":[{"name":"cfg","configMap":{}}]}}""", ["spec.volumes[0].configMap.name: Required value"] },
        { "liveness probe", WithContainer("\"livenessProbe\":{\"httpGet\":{\"port\":8080}}"), [] },
        { "liveness probe success threshold", WithContainer("\"livenessProbe\":{\"tcpSocket\":{\"port\":\"http\"},\"successThreshold\":2}"), ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"] },
        { "probe without handler", WithContainer("\"readinessProbe\":{\"periodSeconds\":5}"), ["spec.containers[0].readinessProbe: Required value: must specify a handler type"] },
        { "probe negative delay", WithContainer("\"readinessProbe\":{\"exec\":{\"command\":[\"true\"]},\"initialDelaySeconds\":-5}"), ["spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -5: must be greater than or equal to 0"] },
        { "probe port", WithContainer("\"startupProbe\":{\"tcpSocket\":{\"port\":0}}"), ["spec.containers[0].startupProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive"] },
        { "init container probes", "{\"spec\":{\"initContainers\":[{\"name\":\"init\",\"image\":\"x\",\"livenessProbe\":{\"exec\":{\"command\":[\"true\"]}}}]}}", ["spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"] },
        { "sidecar container", "{\"spec\":{\"initContainers\":[{\"name\":\"side\",\"image\":\"x\",\"restartPolicy\":\"Always\",\"livenessProbe\":{\"exec\":{\"command\":[\"true\"]}}}]}}", [] },
        { "restart policy on a container", WithContainer("\"restartPolicy\":\"Always\""), ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"] },
        { "run as user", WithContainer("\"securityContext\":{\"runAsUser\":-1}"), ["spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive"] },
        { "host network ports", "{\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"ports\":[{\"containerPort\":80,\"hostPort\":81}]}]}}", ["spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true"] },
        { "ephemeral containers on create", """{"spec":{"ephemeralContainers":[{"name":"debug","image":"busybox"}]}}""", ["spec.ephemeralContainers: Forbidden: cannot be set on create"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pods_follow_upstreams_rules(string why, string patch, string[] expected) =>
        ValidationCase.Expect(why, expected, ValidationCase.Create("", "Pod", Objects.Pod, patch));

    public static TheoryData<string, string, string[]> ResourceCases => new()
    {
        { "requests and limits", """{"cpu":"250m","memory":"64Mi"}|{"cpu":"1","memory":"128Mi"}""", [] },
        { "request over limit", """{"cpu":"2"}|{"cpu":"1000m"}""", ["spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"] },
        { "request over limit, canonical", """{"memory":"1.5Gi"}|{"memory":"1Gi"}""", ["spec.containers[0].resources.requests: Invalid value: \"1536Mi\": must be less than or equal to memory limit of 1Gi"] },
        { "negative", """{"cpu":"-1"}|{}""", ["spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0"] },
        { "numbers are quantities", """{"cpu":0.5}|{"cpu":1}""", [] },
        {
            "unknown resource", """{"gpu":"1"}|{}""",
            ["spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified", "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers"]
        },
        { "quota resource in a container", """{"pods":"1"}|{}""", ["spec.containers[0].resources.requests[pods]: Invalid value: \"pods\": must be a standard resource for containers"] },
        { "extended resource", """{}|{"example.com/gpu":"2"}""", [] },
        { "extended resource request without limit", """{"example.com/gpu":"2"}|{}""", ["spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"] },
        { "extended resource request below limit", """{"example.com/gpu":"1"}|{"example.com/gpu":"2"}""", ["spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2"] },
        { "extended resource not whole", """{}|{"example.com/gpu":"500m"}""", ["spec.containers[0].resources.limits[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"500m\", Format:\"DecimalSI\"}: must be an integer"] },
        { "hugepages alone", """{}|{"hugepages-2Mi":"2Mi"}""", ["spec.containers[0].resources: Forbidden: HugePages require cpu or memory"] },
    };

    [Theory]
    [MemberData(nameof(ResourceCases))]
    public void Container_resources_follow_upstreams_rules(string why, string requestsAndLimits, string[] expected)
    {
        var parts = requestsAndLimits.Split('|');
        var patch = "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\",\"resources\":{\"requests\":" + parts[0] + ",\"limits\":" + parts[1] + "}}]}}";

        ValidationCase.Expect(why, expected, ValidationCase.Create("", "Pod", Objects.Pod, patch));
    }
}
