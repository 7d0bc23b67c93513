namespace Kubesharp.Api.Tests.Validation;

/// <summary>Valid objects of each kind, before defaulting, for the validation tests to break one field at a time.</summary>
internal static class Objects
{
    public const string Pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""";

    public const string Template = """{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""";

    public const string Deployment = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":""" + Template + "}}";

    public const string ReplicaSet = """{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"r","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":""" + Template + "}}";

    public const string StatefulSet = """{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s","namespace":"default"},"spec":{"serviceName":"s","selector":{"matchLabels":{"app":"web"}},"template":""" + Template + "}}";

    public const string DaemonSet = """{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"ds","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":""" + Template + "}}";

    public const string ReplicationController = """{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc","namespace":"default"},"spec":{"template":""" + Template + "}}";

    public const string Job = """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"default"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox:1.36"}]}}}}""";

    public const string CronJob = """{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"cj","namespace":"default"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox:1.36"}]}}}}}}""";

    public const string Service = """{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"default"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}""";

    public const string ConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},"data":{"key":"value"}}""";

    public const string Secret = """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"default"},"data":{"key":"dmFsdWU="}}""";

    public const string Namespace = """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}""";

    public const string Node = """{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"},"spec":{"podCIDR":"10.42.0.0/24"}}""";

    public const string Claim = """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""";

    public const string Lease = """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l","namespace":"default"},"spec":{"holderIdentity":"a","leaseDurationSeconds":15}}""";

    public const string PriorityClass = """{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"high"},"value":1000}""";

    public const string Budget = """{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"b","namespace":"default"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}""";
}
