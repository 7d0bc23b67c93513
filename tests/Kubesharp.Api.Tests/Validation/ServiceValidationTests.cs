namespace Kubesharp.Api.Tests.Validation;

public sealed class ServiceValidationTests
{
    public static TheoryData<string, string, string[]> Cases => new()
    {
        { "valid", "{}", [] },
        { "no ports", """{"spec":{"ports":[]}}""", ["spec.ports: Required value"] },
        { "headless without ports", """{"spec":{"clusterIP":"None","ports":[]}}""", [] },
        { "external name", """{"spec":{"type":"ExternalName","externalName":"db.example.com","ports":[],"selector":null}}""", [] },
        { "external name missing", """{"spec":{"type":"ExternalName","ports":[]}}""", ["spec.externalName: Required value"] },
        { "port zero", """{"spec":{"ports":[{"port":0}]}}""", ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"] },
        { "two ports need names", """{"spec":{"ports":[{"port":80,"name":"http"},{"port":443}]}}""", ["spec.ports[1].name: Required value"] },
        { "duplicate port names", """{"spec":{"ports":[{"port":80,"name":"web"},{"port":443,"name":"web"}]}}""", ["spec.ports[1].name: Duplicate value: \"web\""] },
        { "target port name", """{"spec":{"ports":[{"port":80,"targetPort":"http"}]}}""", [] },
        { "bad target port name", """{"spec":{"ports":[{"port":80,"targetPort":"http--web"}]}}""", ["spec.ports[0].targetPort: Invalid value: \"http--web\": must not contain consecutive hyphens"] },
        { "target port range", """{"spec":{"ports":[{"port":80,"targetPort":65536}]}}""", ["spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive"] },
        { "protocol", """{"spec":{"ports":[{"port":80,"protocol":"HTTP"}]}}""", ["spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""] },
        { "type", """{"spec":{"type":"Internal"}}""", ["spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""] },
        { "node port on ClusterIP", """{"spec":{"ports":[{"port":80,"nodePort":30080}]}}""", ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"] },
        { "node port service", """{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}""", [] },
        { "node port out of range", """{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}}""", ["spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"] },
        { "session affinity", """{"spec":{"sessionAffinity":"Cookie"}}""", ["spec.sessionAffinity: Unsupported value: \"Cookie\": supported values: \"ClientIP\", \"None\""] },
        { "cluster IP", """{"spec":{"clusterIP":"10.43.0.300"}}""", ["spec.clusterIPs[0]: Invalid value: \"10.43.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"] },
        { "headless NodePort", """{"spec":{"type":"NodePort","clusterIP":"None"}}""", ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"] },
        { "external traffic policy on ClusterIP", """{"spec":{"externalTrafficPolicy":"Local"}}""", ["spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services"] },
        { "external traffic policy value", """{"spec":{"type":"NodePort","externalTrafficPolicy":"Nearest"}}""", ["spec.externalTrafficPolicy: Unsupported value: \"Nearest\": supported values: \"Cluster\", \"Local\""] },
        { "selector label", """{"spec":{"selector":{"app":"web app"}}}""", ["spec.selector: Invalid value: \"web app\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"] },
        { "load balancer", """{"spec":{"type":"LoadBalancer","loadBalancerSourceRanges":["10.0.0.0/8"]}}""", [] },
        { "source ranges off LoadBalancer", """{"spec":{"loadBalancerSourceRanges":["10.0.0.0/8"]}}""", ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Services_follow_upstreams_rules(string why, string patch, string[] expected) =>
        ValidationCase.Expect(why, expected, ValidationCase.Create("", "Service", Objects.Service, patch));

    [Theory]
    [InlineData("set cluster IP kept", """{"spec":{"clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"]}}""", """{"spec":{"clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"],"ports":[{"port":8080}]}}""", "")]
    [InlineData("cluster IP changed", """{"spec":{"clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"]}}""", """{"spec":{"clusterIP":"10.43.0.21","clusterIPs":["10.43.0.21"]}}""", "spec.clusterIPs[0]: Invalid value: []string{\"10.43.0.21\"}: may not change once set")]
    [InlineData("cluster IP unset", """{"spec":{"clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"]}}""", "{}", "spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset")]
    public void Cluster_IPs_are_immutable_once_set(string why, string oldPatch, string newPatch, string expected) =>
        ValidationCase.Expect(why, expected.Length == 0 ? [] : [expected], ValidationCase.Update("", "Service", Objects.Service, oldPatch, newPatch));
}
