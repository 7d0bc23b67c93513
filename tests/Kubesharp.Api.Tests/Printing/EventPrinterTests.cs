namespace Kubesharp.Api.Tests.Printing;

/// <summary>
/// Event cells: LAST SEEN TYPE REASON OBJECT, SUBOBJECT SOURCE (wide), MESSAGE, then FIRST SEEN COUNT
/// NAME (wide). Both API versions print alike once their field names are mapped.
/// </summary>
public sealed class EventPrinterTests
{
    [Theory]
    [InlineData("core event from a kubelet",
        """{"metadata":{"name":"p.1"},"involvedObject":{"kind":"Pod","name":"web-1","fieldPath":"spec.containers{c}"},"reason":"Pulled","message":"  Container image pulled \n","type":"Normal","source":{"component":"kubelet","host":"n1"},"firstTimestamp":"2025-06-01T11:50:00Z","lastTimestamp":"2025-06-01T11:58:00Z","count":4}""",
        """["2m","Normal","Pulled","pod/web-1","spec.containers{c}","kubelet, n1","Container image pulled","10m",4,"p.1"]""")]
    [InlineData("no last timestamp reuses the first; no count means one",
        """{"metadata":{"name":"e"},"involvedObject":{"kind":"Node"},"reason":"Starting","type":"Normal","firstTimestamp":"2025-06-01T11:57:00Z"}""",
        """["3m","Normal","Starting","node","","","","3m",1,"e"]""")]
    [InlineData("events.k8s.io-style event written through core: eventTime, series, reporting controller",
        """{"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"FailedScheduling","type":"Warning","message":"0/3 nodes are available","eventTime":"2025-06-01T11:40:00.123456Z","series":{"count":7,"lastObservedTime":"2025-06-01T11:59:30.000000Z"},"reportingComponent":"default-scheduler","reportingInstance":"default-scheduler-cp1"}""",
        """["30s","Warning","FailedScheduling","pod/p","","default-scheduler, default-scheduler-cp1","0/3 nodes are available","19m",7,"e"]""")]
    [InlineData("no times at all",
        """{"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p"}}""",
        """["<unknown>","","","pod/p","","","","<unknown>",1,"e"]""")]
    public void Core_events(string name, string json, string expected) => Golden.Assert(name, "", "Event", json, expected);

    [Theory]
    [InlineData("events.k8s.io event",
        """{"metadata":{"name":"e"},"regarding":{"kind":"Deployment","name":"web"},"reason":"ScalingReplicaSet","note":"Scaled up replica set web-1 to 3","type":"Normal","eventTime":"2025-06-01T11:59:00.000000Z","reportingController":"deployment-controller","reportingInstance":""}""",
        """["60s","Normal","ScalingReplicaSet","deployment/web","","deployment-controller","Scaled up replica set web-1 to 3","60s",1,"e"]""")]
    [InlineData("events.k8s.io event with deprecated fields",
        """{"metadata":{"name":"e"},"regarding":{"kind":"Pod","name":"p","fieldPath":"spec.containers{c}"},"reason":"BackOff","note":"Back-off restarting","type":"Warning","deprecatedSource":{"component":"kubelet","host":"n1"},"deprecatedFirstTimestamp":"2025-06-01T11:00:00Z","deprecatedLastTimestamp":"2025-06-01T11:55:00Z","deprecatedCount":12}""",
        """["5m","Warning","BackOff","pod/p","spec.containers{c}","kubelet, n1","Back-off restarting","60m",12,"e"]""")]
    public void Events_k8s_io_events(string name, string json, string expected) => Golden.Assert(name, "events.k8s.io", "Event", json, expected);
}
