namespace Kubesharp.Api.Tests.Validation;

public sealed class WorkloadValidationTests
{
    public static TheoryData<string, string, string, string[]> Cases => new()
    {
        { "deployment", "Deployment", "{}", [] },
        { "deployment without selector", "Deployment", """{"spec":{"selector":null}}""", ["spec.selector: Required value"] },
        { "deployment empty selector", "Deployment", """{"spec":{"selector":{"matchLabels":null}}}""", ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"] },
        { "deployment selector not matching", "Deployment", """{"spec":{"selector":{"matchLabels":{"app":"db"}}}}""", ["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"] },
        { "deployment selector expression", "Deployment", """{"spec":{"selector":{"matchLabels":null,"matchExpressions":[{"key":"app","operator":"In","values":["web","api"]}]}}}""", [] },
        { "selector expression operator", "Deployment", """{"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"Equals","values":["web"]}]}}}""", ["spec.selector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator"] },
        { "selector expression values", "Deployment", """{"spec":{"selector":{"matchExpressions":[{"key":"tier","operator":"In"}]}}}""", ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"] },
        { "negative replicas", "Deployment", """{"spec":{"replicas":-1}}""", ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"] },
        { "negative history", "Deployment", """{"spec":{"revisionHistoryLimit":-2}}""", ["spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0"] },
        { "negative min ready", "Deployment", """{"spec":{"minReadySeconds":-1}}""", ["spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"] },
        { "deadline not past min ready", "Deployment", """{"spec":{"minReadySeconds":600}}""", ["spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"] },
        { "strategy type", "Deployment", """{"spec":{"strategy":{"type":"BlueGreen"}}}""", ["spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\""] },
        { "both zero", "Deployment", """{"spec":{"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":"0%"}}}}""", ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0"] },
        { "percent", "Deployment", """{"spec":{"strategy":{"rollingUpdate":{"maxSurge":"half"}}}}""", ["spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"half\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"] },
        { "over 100%", "Deployment", """{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":"150%"}}}}""", ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%"] },
        { "recreate with rolling update", "Deployment", """{"spec":{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}}}}""", ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"] },
        { "template restart policy", "Deployment", """{"spec":{"template":{"spec":{"restartPolicy":"OnFailure"}}}}""", ["spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""] },
        { "template container", "Deployment", """{"spec":{"template":{"spec":{"containers":[{"name":"c"}]}}}}""", ["spec.template.spec.containers[0].image: Required value"] },
        { "replica set", "ReplicaSet", "{}", [] },
        { "replica set restart policy", "ReplicaSet", """{"spec":{"template":{"spec":{"restartPolicy":"Never"}}}}""", ["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""] },
        { "stateful set", "StatefulSet", "{}", [] },
        { "stateful set policy", "StatefulSet", """{"spec":{"podManagementPolicy":"Random"}}""", ["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"] },
        { "stateful set empty selector", "StatefulSet", """{"spec":{"selector":{"matchLabels":{"app":null}}}}""", ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"] },
        { "stateful set partition", "StatefulSet", """{"spec":{"updateStrategy":{"rollingUpdate":{"partition":-1}}}}""", ["spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"] },
        { "stateful set claim template", "StatefulSet", """{"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"resources":{"requests":{"storage":"1Gi"}}}}]}}""", ["spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required"] },
        { "daemon set", "DaemonSet", "{}", [] },
        { "daemon set surge and unavailable", "DaemonSet", """{"spec":{"updateStrategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":1}}}}""", ["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero"] },
        { "daemon set neither", "DaemonSet", """{"spec":{"updateStrategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}}}""", ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"] },
        { "replication controller", "ReplicationController", "{}", [] },
        { "replication controller selector", "ReplicationController", """{"spec":{"selector":{"app":"db"}}}""", ["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Workloads_follow_upstreams_rules(string why, string kind, string patch, string[] expected)
    {
        var (group, valid) = kind switch
        {
            "Deployment" => ("apps", Objects.Deployment),
            "ReplicaSet" => ("apps", Objects.ReplicaSet),
            "StatefulSet" => ("apps", Objects.StatefulSet),
            "DaemonSet" => ("apps", Objects.DaemonSet),
            _ => ("", Objects.ReplicationController),
        };

        ValidationCase.Expect(why, expected, ValidationCase.Create(group, kind, valid, patch));
    }
}
