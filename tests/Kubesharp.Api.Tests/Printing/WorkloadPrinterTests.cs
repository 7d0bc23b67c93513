namespace Kubesharp.Api.Tests.Printing;

/// <summary>Golden rows for apps/v1 and batch/v1.</summary>
public sealed class WorkloadPrinterTests
{
    private const string Meta = """ "metadata":{"name":"x","creationTimestamp":"2025-06-01T11:55:00Z"} """;
    private const string Template = """ "template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"},{"name":"log","image":"fluent-bit"}]}} """;

    [Theory]
    [InlineData("deployment", "Deployment",
        "{" + Meta + """, "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]},{"key":"canary","operator":"DoesNotExist"}]},""" + Template + """}, "status":{"replicas":3,"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2} }""",
        """["x","2/3",3,2,"5m","web,log","nginx:1.27,fluent-bit","app=web,!canary,tier in (a,b)"]""")]
    [InlineData("deployment with an empty selector prints it empty", "Deployment",
        "{" + Meta + """, "spec":{"replicas":1,"selector":{}} }""",
        """["x","0/1",0,0,"5m","","",""]""")]
    [InlineData("deployment with an invalid selector", "Deployment",
        "{" + Meta + """, "spec":{"replicas":1,"selector":{"matchExpressions":[{"key":"a","operator":"Near"}]}} }""",
        """["x","0/1",0,0,"5m","","","<invalid>"]""")]
    [InlineData("replica set", "ReplicaSet",
        "{" + Meta + """, "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web","pod-template-hash":"5d"}},""" + Template + """}, "status":{"replicas":2,"readyReplicas":1} }""",
        """["x",2,2,1,"5m","web,log","nginx:1.27,fluent-bit","app=web,pod-template-hash=5d"]""")]
    [InlineData("replica set with an empty selector", "ReplicaSet",
        "{" + Meta + """, "spec":{"replicas":0,"selector":{}} }""",
        """["x",0,0,0,"5m","","","<none>"]""")]
    [InlineData("replica set with an invalid selector", "ReplicaSet",
        "{" + Meta + """, "spec":{"selector":{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}} }""",
        """["x",0,0,0,"5m","","","<error>"]""")]
    [InlineData("stateful set", "StatefulSet",
        "{" + Meta + """, "spec":{"replicas":3,""" + Template + """}, "status":{"replicas":3,"readyReplicas":3} }""",
        """["x","3/3","5m","web,log","nginx:1.27,fluent-bit"]""")]
    [InlineData("daemon set", "DaemonSet",
        "{" + Meta + """, "spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"},"containers":[{"name":"a","image":"agent:1"}]}}}, "status":{"desiredNumberScheduled":4,"currentNumberScheduled":4,"numberReady":3,"updatedNumberScheduled":4,"numberAvailable":3} }""",
        """["x",4,4,3,4,3,"kubernetes.io/os=linux","5m","a","agent:1","app=agent"]""")]
    [InlineData("daemon set without a node selector", "DaemonSet",
        "{" + Meta + "}",
        """["x",0,0,0,0,0,"<none>","5m","","","<none>"]""")]
    [InlineData("controller revision of a stateful set", "ControllerRevision",
        """{"metadata":{"name":"x","creationTimestamp":"2025-06-01T11:55:00Z","ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"other"},{"apiVersion":"apps/v1","kind":"StatefulSet","name":"web","controller":true}]},"revision":2}""",
        """["x","statefulset.apps/web",2,"5m"]""")]
    [InlineData("controller revision owned by a core kind", "ControllerRevision",
        """{"metadata":{"name":"x","creationTimestamp":"2025-06-01T11:55:00Z","ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"n1","controller":true}]},"revision":1}""",
        """["x","node/n1",1,"5m"]""")]
    [InlineData("controller revision without a controller", "ControllerRevision",
        "{" + Meta + """, "revision":1}""",
        """["x","<none>",1,"5m"]""")]
    public void Apps(string name, string kind, string json, string expected) => Golden.Assert(name, "apps", kind, json, expected);

    [Theory]
    [InlineData("running job",
        """{"completions":3,"parallelism":3,"selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u"}},""" + Template + "}",
        """{"startTime":"2025-06-01T11:56:00Z","succeeded":1,"active":2}""", "",
        """["x","Running","1/3","4m","5m","web,log","nginx:1.27,fluent-bit","batch.kubernetes.io/controller-uid=u"]""")]
    [InlineData("complete job, duration from start to completion",
        """{"completions":1}""",
        """{"startTime":"2025-06-01T11:55:10Z","completionTime":"2025-06-01T11:56:40Z","succeeded":1,"conditions":[{"type":"SuccessCriteriaMet","status":"True"},{"type":"Complete","status":"True"}]}""", "",
        """["x","Complete","1/1","90s","5m","","","<none>"]""")]
    [InlineData("failed job", "{}",
        """{"conditions":[{"type":"FailureTarget","status":"True"},{"type":"Failed","status":"True"}]}""", "",
        """["x","Failed","0/1","","5m","","","<none>"]""")]
    [InlineData("failure target before the job is marked failed", """{"parallelism":1}""",
        """{"conditions":[{"type":"FailureTarget","status":"True"}]}""", "",
        """["x","FailureTarget","0/1","","5m","","","<none>"]""")]
    [InlineData("suspended job", """{"parallelism":4}""",
        """{"conditions":[{"type":"Suspended","status":"True"}]}""", "",
        """["x","Suspended","0/1 of 4","","5m","","","<none>"]""")]
    [InlineData("a condition that is no longer true does not count", "{}",
        """{"conditions":[{"type":"Suspended","status":"False"}]}""", "",
        """["x","Running","0/1","","5m","","","<none>"]""")]
    [InlineData("terminating job", "{}", "{}", """ ,"deletionTimestamp":"2025-06-01T11:59:00Z" """,
        """["x","Terminating","0/1","","5m","","","<none>"]""")]
    public void Jobs(string name, string spec, string status, string extraMeta, string expected) =>
        Golden.Assert(name, "batch", "Job",
            $$"""{"metadata":{"name":"x","creationTimestamp":"{{Golden.Created}}"{{extraMeta}}},"spec":{{spec}},"status":{{status}}}""",
            expected);

    [Theory]
    [InlineData("scheduled cron job",
        """{"schedule":"*/5 * * * *","timeZone":"Etc/UTC","suspend":false,"jobTemplate":{"spec":{"selector":{"matchLabels":{"a":"b"}},""" + Template + "}}}",
        """{"active":[{"name":"x-1"}],"lastScheduleTime":"2025-06-01T11:59:00Z"}""",
        """["x","*/5 * * * *","Etc/UTC","False",1,"60s","5m","web,log","nginx:1.27,fluent-bit","a=b"]""")]
    [InlineData("new cron job", """{"schedule":"@hourly"}""", "{}",
        """["x","@hourly","<none>","<unset>",0,"<none>","5m","","","<none>"]""")]
    [InlineData("suspended cron job", """{"schedule":"@daily","suspend":true}""", "{}",
        """["x","@daily","<none>","True",0,"<none>","5m","","","<none>"]""")]
    public void Cron_jobs(string name, string spec, string status, string expected) =>
        Golden.Assert(name, "batch", "CronJob", "{" + Meta + ", \"spec\":" + spec + ", \"status\":" + status + "}", expected);
}
