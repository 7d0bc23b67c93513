namespace Kubesharp.Api.Tests.Printing;

/// <summary>
/// Pod cells: NAME READY STATUS RESTARTS AGE, then IP NODE NOMINATED-NODE READINESS-GATES. Each case
/// is a pod as the kubelet reports it in one situation, and the row kubectl shows for it.
/// </summary>
public sealed class PodPrinterTests
{
    private const string Meta = """ "metadata":{"name":"p","creationTimestamp":"2025-06-01T11:55:00Z"} """;
    private const string DeletingMeta = """ "metadata":{"name":"p","creationTimestamp":"2025-06-01T11:55:00Z","deletionTimestamp":"2025-06-01T11:59:00Z"} """;
    private const string OneContainer = """ "spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx"}]} """;
    private const string WithInit = """ "spec":{"nodeName":"n1","initContainers":[{"name":"init"}],"containers":[{"name":"c"}]} """;

    [Theory]
    [InlineData("pending, not scheduled yet",
        "{" + Meta + """, "spec":{"containers":[{"name":"c"}]}, "status":{"phase":"Pending"} }""",
        """["p","0/1","Pending","0","5m","<none>","<none>","<none>","<none>"]""")]
    [InlineData("scheduling gated",
        "{" + Meta + """, "spec":{"containers":[{"name":"c"}]}, "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]} }""",
        """["p","0/1","SchedulingGated","0","5m","<none>","<none>","<none>","<none>"]""")]
    [InlineData("container creating",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ContainerCreating"}}}]} }""",
        """["p","0/1","ContainerCreating","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("running and ready",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","podIP":"10.1.0.7","podIPs":[{"ip":"10.1.0.7"}],"conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"c","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2025-06-01T11:56:00Z"}}}]} }""",
        """["p","1/1","Running","0","5m","10.1.0.7","n1","<none>","<none>"]""")]
    [InlineData("running but not ready",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":false,"state":{"running":{}}}]} }""",
        """["p","0/1","Running","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("crash loop with restarts and when the last one was",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"2025-06-01T11:57:00Z"}}}]} }""",
        """["p","0/1","CrashLoopBackOff","5 (3m ago)","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("restarts without a last termination time print the count alone",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":true,"restartCount":2,"state":{"running":{}}}]} }""",
        """["p","1/1","Running","2","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("completed",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Succeeded","containerStatuses":[{"name":"c","ready":false,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]} }""",
        """["p","0/1","Completed","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("out of memory",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]} }""",
        """["p","0/1","OOMKilled","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("terminated without a reason shows the exit code",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":3}}}]} }""",
        """["p","0/1","ExitCode:3","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("terminated by a signal shows the signal",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":137,"signal":9}}}]} }""",
        """["p","0/1","Signal:9","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("completed with a container still running and the pod ready",
        "{" + Meta + """, "spec":{"containers":[{"name":"a"},{"name":"b"}]}, "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},{"name":"b","ready":true,"state":{"running":{}}}]} }""",
        """["p","1/2","Running","0","5m","<none>","<none>","<none>","<none>"]""")]
    [InlineData("completed with a container still running and the pod not ready",
        "{" + Meta + """, "spec":{"containers":[{"name":"a"},{"name":"b"}]}, "status":{"phase":"Running","containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},{"name":"b","ready":true,"state":{"running":{}}}]} }""",
        """["p","1/2","NotReady","0","5m","<none>","<none>","<none>","<none>"]""")]
    [InlineData("evicted",
        "{" + Meta + "," + OneContainer + """, "status":{"phase":"Failed","reason":"Evicted","message":"The node was low on resource: memory."} }""",
        """["p","0/1","Evicted","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("terminating",
        "{" + DeletingMeta + "," + OneContainer + """, "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":true,"state":{"running":{}}}]} }""",
        """["p","1/1","Terminating","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("a deleted pod that already succeeded keeps its status",
        "{" + DeletingMeta + "," + OneContainer + """, "status":{"phase":"Succeeded","containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]} }""",
        """["p","0/1","Completed","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("deleted on an unreachable node",
        "{" + DeletingMeta + "," + OneContainer + """, "status":{"phase":"Running","reason":"NodeLost"} }""",
        """["p","0/1","Unknown","0","5m","<none>","n1","<none>","<none>"]""")]
    public void Container_states(string name, string json, string expected) => Golden.Assert(name, "", "Pod", json, expected);

    [Theory]
    [InlineData("first init container running",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"running":{}}}],"containerStatuses":[{"name":"c","state":{"waiting":{"reason":"PodInitializing"}}}]} }""",
        """["p","0/1","Init:0/1","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("init container waiting to initialize counts as in progress",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"waiting":{"reason":"PodInitializing"}}}]} }""",
        """["p","0/1","Init:0/1","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("init container crash loop keeps its restarts",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2025-06-01T11:58:00Z"}}}]} }""",
        """["p","0/1","Init:CrashLoopBackOff","3 (2m ago)","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("init container failed",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]} }""",
        """["p","0/1","Init:Error","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("init container exit code",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":2}}}]} }""",
        """["p","0/1","Init:ExitCode:2","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("init container signal",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":137,"signal":9}}}]} }""",
        """["p","0/1","Init:Signal:9","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("second of two init containers",
        "{" + Meta + """, "spec":{"initContainers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"c"}]}, "status":{"phase":"Pending","initContainerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},{"name":"b","state":{"running":{}}}]} }""",
        """["p","0/1","Init:1/2","0","5m","<none>","<none>","<none>","<none>"]""")]
    [InlineData("init done: its restarts no longer count",
        "{" + Meta + "," + WithInit + """, "status":{"phase":"Running","initContainerStatuses":[{"name":"init","restartCount":1,"state":{"terminated":{"exitCode":0,"reason":"Completed"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2025-06-01T11:56:00Z"}}}],"containerStatuses":[{"name":"c","ready":true,"state":{"running":{}}}]} }""",
        """["p","1/1","Running","0","5m","<none>","n1","<none>","<none>"]""")]
    [InlineData("a started sidecar counts as a container, with its restarts",
        "{" + Meta + """, "spec":{"initContainers":[{"name":"sc","restartPolicy":"Always"}],"containers":[{"name":"c"}]}, "status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"}],"initContainerStatuses":[{"name":"sc","started":true,"ready":true,"restartCount":2,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2025-06-01T11:50:00Z"}}}],"containerStatuses":[{"name":"c","ready":true,"state":{"running":{}}}]} }""",
        """["p","2/2","Running","2 (10m ago)","5m","<none>","<none>","<none>","<none>"]""")]
    [InlineData("a sidecar that has not started holds initialization",
        "{" + Meta + """, "spec":{"initContainers":[{"name":"sc","restartPolicy":"Always"}],"containers":[{"name":"c"}]}, "status":{"phase":"Pending","initContainerStatuses":[{"name":"sc","started":false,"state":{"running":{}}}]} }""",
        """["p","0/2","Init:0/1","0","5m","<none>","<none>","<none>","<none>"]""")]
    public void Init_containers(string name, string json, string expected) => Golden.Assert(name, "", "Pod", json, expected);

    [Theory]
    [InlineData("podIP wins over podIPs",
        "{" + Meta + """, "spec":{"containers":[]}, "status":{"podIP":"10.0.0.1","podIPs":[{"ip":"fd00::1"}]} }""",
        """["p","0/0","","0","5m","10.0.0.1","<none>","<none>","<none>"]""")]
    [InlineData("podIPs alone",
        "{" + Meta + """, "spec":{"containers":[]}, "status":{"podIPs":[{"ip":"fd00::1"}]} }""",
        """["p","0/0","","0","5m","fd00::1","<none>","<none>","<none>"]""")]
    [InlineData("nominated node and readiness gates",
        "{" + Meta + """, "spec":{"containers":[],"readinessGates":[{"conditionType":"example.com/a"},{"conditionType":"example.com/b"}]}, "status":{"phase":"Pending","nominatedNodeName":"n2","conditions":[{"type":"example.com/a","status":"True"},{"type":"example.com/b","status":"False"}]} }""",
        """["p","0/0","Pending","0","5m","<none>","<none>","n2","1/2"]""")]
    [InlineData("no creation time",
        """{"metadata":{"name":"p"}}""",
        """["p","0/0","","0","<unknown>","<none>","<none>","<none>","<none>"]""")]
    public void Wide_columns(string name, string json, string expected) => Golden.Assert(name, "", "Pod", json, expected);
}
