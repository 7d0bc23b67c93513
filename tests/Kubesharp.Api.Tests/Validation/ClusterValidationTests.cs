namespace Kubesharp.Api.Tests.Validation;

public sealed class ClusterValidationTests
{
    public static TheoryData<string, string, string, string, string[]> Cases => new()
    {
        { "namespace", "", "Namespace", "{}", [] },
        { "namespace finalizer", "", "Namespace", """{"spec":{"finalizers":["cleanup"]}}""", ["spec.finalizers: Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified"] },
        { "node", "", "Node", "{}", [] },
        { "node pod CIDR", "", "Node", """{"spec":{"podCIDR":"10.42.0.0/33"}}""", ["spec.podCIDRs[0]: Invalid value: \"10.42.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"] },
        { "node pod CIDRs of one family", "", "Node", """{"spec":{"podCIDRs":["10.42.0.0/24","10.43.0.0/24"]}}""", ["spec.podCIDRs: Invalid value: []string{\"10.42.0.0/24\", \"10.43.0.0/24\"}: may specify no more than one CIDR for each IP family"] },
        { "node taint effect", "", "Node", """{"spec":{"taints":[{"key":"k","effect":"Never"}]}}""", ["metadata.taints[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""] },
        { "claim", "", "PersistentVolumeClaim", "{}", [] },
        { "claim without access modes", "", "PersistentVolumeClaim", """{"spec":{"accessModes":null}}""", ["spec.accessModes: Required value: at least 1 access mode is required"] },
        { "claim access mode", "", "PersistentVolumeClaim", """{"spec":{"accessModes":["ReadWriteSometimes"]}}""", ["spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\""] },
        { "claim once pod with others", "", "PersistentVolumeClaim", """{"spec":{"accessModes":["ReadWriteOncePod","ReadWriteOnce"]}}""", ["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"] },
        { "claim without storage", "", "PersistentVolumeClaim", """{"spec":{"resources":{"requests":{"storage":null}}}}""", ["spec.resources[storage]: Required value"] },
        { "claim of zero", "", "PersistentVolumeClaim", """{"spec":{"resources":{"requests":{"storage":"0"}}}}""", ["spec.resources[storage]: Invalid value: \"0\": must be greater than zero"] },
        { "lease", "coordination.k8s.io", "Lease", "{}", [] },
        { "lease duration", "coordination.k8s.io", "Lease", """{"spec":{"leaseDurationSeconds":0}}""", ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"] },
        { "priority class", "scheduling.k8s.io", "PriorityClass", "{}", [] },
        { "priority class too high", "scheduling.k8s.io", "PriorityClass", """{"value":2000000000}""", ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"] },
        { "system priority class", "scheduling.k8s.io", "PriorityClass", """{"metadata":{"name":"system-mine"}}""", ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"] },
        { "budget", "policy", "PodDisruptionBudget", "{}", [] },
        { "budget with both", "policy", "PodDisruptionBudget", """{"spec":{"maxUnavailable":"10%"}}""", ["spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}, MaxUnavailable:intstr.IntOrString{Type:1, IntVal:0, StrVal:\"10%\"}}: minAvailable and maxUnavailable cannot be both set"] },
        { "budget percent", "policy", "PodDisruptionBudget", """{"spec":{"minAvailable":"120%"}}""", ["spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cluster_kinds_follow_upstreams_rules(string why, string group, string kind, string patch, string[] expected)
    {
        var valid = kind switch
        {
            "Namespace" => Objects.Namespace,
            "Node" => Objects.Node,
            "PersistentVolumeClaim" => Objects.Claim,
            "Lease" => Objects.Lease,
            "PriorityClass" => Objects.PriorityClass,
            _ => Objects.Budget,
        };

        ValidationCase.Expect(why, expected, ValidationCase.Create(group, kind, valid, patch));
    }
}
