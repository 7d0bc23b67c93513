using Kubesharp.Api.Validation;

namespace Kubesharp.Api.Tests.Validation;

public sealed class UpdateValidationTests
{
    private const string Forbidden = "spec: Forbidden: pod updates may not change fields other than " + UpdateValidation.PodUpdatableFields + "\n";

    public static TheoryData<string, string, string, string, string, string[]> Cases => new()
    {
        { "pod image", "", "Pod", "{}", """{"spec":{"containers":[{"name":"c","image":"nginx:1.28"}]}}""", [] },
        { "pod labels", "", "Pod", "{}", """{"metadata":{"labels":{"a":"b"}}}""", [] },
        { "pod active deadline set", "", "Pod", "{}", """{"spec":{"activeDeadlineSeconds":60}}""", [] },
        { "pod active deadline raised", "", "Pod", """{"spec":{"activeDeadlineSeconds":60}}""", """{"spec":{"activeDeadlineSeconds":120}}""", ["spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value"] },
        { "pod active deadline removed", "", "Pod", """{"spec":{"activeDeadlineSeconds":60}}""", "{}", ["spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"] },
        { "pod toleration added", "", "Pod", "{}", """{"spec":{"tolerations":[{"key":"k","operator":"Exists"}]}}""", [] },
        { "pod toleration removed", "", "Pod", """{"spec":{"tolerations":[{"key":"k","operator":"Exists"}]}}""", "{}", ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"] },
        { "pod container added", "", "Pod", "{}", """{"spec":{"containers":[{"name":"c","image":"x"},{"name":"d","image":"x"}]}}""", ["spec.containers: Forbidden: pod updates may not add or remove containers"] },
        { "new finalizer while deleting", "", "ConfigMap", """{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["a.io/x"]}}""", """{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["a.io/x","b.io/y"]}}""", ["metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b.io/y\"}"] },
        { "deployment selector", "apps", "Deployment", "{}", """{"spec":{"selector":{"matchLabels":{"app":"web","tier":"front"}},"template":{"metadata":{"labels":{"tier":"front"}}}}}""", ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"front\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"] },
        { "deployment scale and image", "apps", "Deployment", "{}", """{"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"c","image":"nginx:1.28"}]}}}}""", [] },
        { "daemon set selector", "apps", "DaemonSet", "{}", """{"spec":{"selector":{"matchLabels":{"app":"web","x":"y"}},"template":{"metadata":{"labels":{"x":"y"}}}}}""", ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"x\":\"y\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"] },
        { "stateful set replicas and template", "apps", "StatefulSet", "{}", """{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"nginx:1.28"}]}}}}""", [] },
        { "stateful set service name", "apps", "StatefulSet", "{}", """{"spec":{"serviceName":"other"}}""", ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"] },
        { "job parallelism", "batch", "Job", "{}", """{"spec":{"completions":1,"parallelism":3}}""", [] },
        { "job completions", "batch", "Job", "{}", """{"spec":{"completions":3}}""", ["spec.completions: Invalid value: 3: field is immutable"] },
        { "job template", "batch", "Job", "{}", """{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox:1.37"}]}}}}""", ["spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"] },
        { "suspended job node selector", "batch", "Job", """{"spec":{"suspend":true}}""", """{"spec":{"suspend":true,"template":{"spec":{"nodeSelector":{"zone":"a"}}}}}""", [] },
        { "claim grows when bound", "", "PersistentVolumeClaim", """{"status":{"phase":"Bound"}}""", """{"spec":{"resources":{"requests":{"storage":"2Gi"}}},"status":{"phase":"Bound"}}""", [] },
        { "claim storage class", "", "PersistentVolumeClaim", "{}", """{"spec":{"storageClassName":"fast"}}""", ["spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n-\tstorageClassName: null\n+\tstorageClassName: \"fast\""] },
        { "claim volume name set once", "", "PersistentVolumeClaim", "{}", """{"spec":{"volumeName":"pv-1"}}""", [] },
        { "node pod CIDR set", "", "Node", """{"spec":{"podCIDR":null}}""", "{}", [] },
        { "node pod CIDR changed", "", "Node", "{}", """{"spec":{"podCIDR":"10.42.1.0/24"}}""", ["spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid"] },
        { "priority class value", "scheduling.k8s.io", "PriorityClass", "{}", """{"value":2000}""", ["value: Forbidden: may not be changed in an update."] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Updates_keep_what_upstream_keeps(string why, string group, string kind, string oldPatch, string newPatch, string[] expected)
    {
        var valid = kind switch
        {
            "Pod" => Objects.Pod,
            "ConfigMap" => Objects.ConfigMap,
            "Deployment" => Objects.Deployment,
            "DaemonSet" => Objects.DaemonSet,
            "StatefulSet" => Objects.StatefulSet,
            "Job" => Objects.Job,
            "PersistentVolumeClaim" => Objects.Claim,
            "Node" => Objects.Node,
            _ => Objects.PriorityClass,
        };

        ValidationCase.Expect(why, expected, ValidationCase.Update(group, kind, valid, oldPatch, newPatch));
    }

    [Fact]
    public void A_pod_spec_change_is_forbidden_with_upstreams_message()
    {
        var causes = ValidationCase.Update("", "Pod", Objects.Pod, "{}", """{"spec":{"restartPolicy":"Never"}}""");

        var cause = Assert.Single(causes);
        Assert.StartsWith(Forbidden, cause, StringComparison.Ordinal);
        Assert.Contains("restartPolicy", cause, StringComparison.Ordinal);
    }
}
