using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>
/// ADR 3: times are stored as upstream writes them, whatever the client sent. The C# client (KubernetesClient 21)
/// writes every DateTime with six fractional digits, right for a MicroTime but never what upstream writes for a
/// Time; other clients and hand-written bodies send any RFC 3339.
/// </summary>
public abstract partial class ClientTests<TFixture>
{
    // 2026-11-28T01:02:03.5621619Z: sub-second parts the C# client writes as seven digits.
    private static readonly DateTime Instant = new DateTime(2026, 11, 28, 1, 2, 3, DateTimeKind.Utc).AddTicks(5_621_619);

    private static async Task<JsonElement> RawAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static string Text(JsonElement e, params string[] path) =>
        path.Aggregate(e, (at, name) => at.GetProperty(name)).GetString()!;

    [SkippableFact]
    public async Task An_Event_from_the_CSharp_client_is_stored_with_whole_second_Times_and_a_six_digit_MicroTime()
    {
        using var client = server.Client();
        using var http = server.Http();
        var sent = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "ts-event" },
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "p", NamespaceProperty = "default", ApiVersion = "v1" },
            Reason = "Started",
            Message = "m",
            Type = "Normal",
            FirstTimestamp = Instant,
            LastTimestamp = Instant.AddSeconds(1),
            EventTime = Instant,
            ReportingComponent = "kubelet",
            ReportingInstance = "node-1",
            Action = "Start",
            Series = new Corev1EventSeries { Count = 2, LastObservedTime = Instant.AddSeconds(2) },
        };

        await client.CoreV1.CreateNamespacedEventAsync(sent, "default");
        var stored = await RawAsync(http, "/api/v1/namespaces/default/events/ts-event");

        Assert.Equal("2026-11-28T01:02:03Z", Text(stored, "firstTimestamp"));
        Assert.Equal("2026-11-28T01:02:04Z", Text(stored, "lastTimestamp"));
        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(stored, "eventTime"));
        Assert.Equal("2026-11-28T01:02:05.562161Z", Text(stored, "series", "lastObservedTime"));
        Assert.Matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", Text(stored, "metadata", "creationTimestamp"));
    }

    [SkippableFact]
    public async Task An_events_k8s_io_Event_gets_the_same_treatment()
    {
        using var client = server.Client();
        using var http = server.Http();
        var sent = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "ts-event-v1" },
            EventTime = Instant,
            ReportingController = "example.com/controller",
            ReportingInstance = "controller-1",
            Action = "Reconcile",
            Reason = "Synced",
            Type = "Normal",
            Regarding = new V1ObjectReference { Kind = "Pod", Name = "p", NamespaceProperty = "default", ApiVersion = "v1" },
            DeprecatedFirstTimestamp = Instant,
        };

        await client.EventsV1.CreateNamespacedEventAsync(sent, "default");
        var stored = await RawAsync(http, "/apis/events.k8s.io/v1/namespaces/default/events/ts-event-v1");

        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(stored, "eventTime"));
        Assert.Equal("2026-11-28T01:02:03Z", Text(stored, "deprecatedFirstTimestamp"));
    }

    [SkippableFact]
    public async Task A_Lease_renewed_by_the_CSharp_client_keeps_six_digits_through_create_update_and_patch_and_kubectl_reads_them()
    {
        using var client = server.Client();
        using var http = server.Http();
        const string Path = "/apis/coordination.k8s.io/v1/namespaces/default/leases/ts-lease";
        var lease = new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "ts-lease" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15, AcquireTime = Instant, RenewTime = Instant },
        };

        var created = await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "default");
        var afterCreate = await RawAsync(http, Path);
        created.Spec.RenewTime = Instant.AddSeconds(10);
        await client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "ts-lease", "default");
        var afterUpdate = await RawAsync(http, Path);
        using var patch = await http.PatchAsync(Path, new StringContent("""{"spec":{"renewTime":"2026-11-28T03:02:23.1234567+02:00"}}""", Encoding.UTF8, "application/merge-patch+json"));
        var afterPatch = await RawAsync(http, Path);

        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(afterCreate, "spec", "acquireTime"));
        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(afterCreate, "spec", "renewTime"));
        Assert.Equal("2026-11-28T01:02:13.562161Z", Text(afterUpdate, "spec", "renewTime"));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal("2026-11-28T01:02:23.123456Z", Text(afterPatch, "spec", "renewTime"));
        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(afterPatch, "spec", "acquireTime"));

        var (code, stdout, stderr) = await server.KubectlAsync("get", "lease", "ts-lease", "-n", "default", "-o", "jsonpath={.spec.renewTime}");
        Assert.True(code == 0, stderr);
        Assert.Equal("2026-11-28T01:02:23.123456Z", stdout);
    }

    [SkippableFact]
    public async Task A_Lease_created_with_seven_digits_or_none_is_stored_with_six()
    {
        using var http = server.Http();
        const string Leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";

        using var created = await http.PostAsync(Leases, new StringContent(
            """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"ts-seven"},"spec":{"renewTime":"2026-11-28T01:02:03.5621619Z","acquireTime":"2026-11-28T01:02:03Z"}}""",
            Encoding.UTF8, "application/json"));
        var answer = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var stored = await RawAsync(http, Leases + "/ts-seven");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(answer, "spec", "renewTime"));
        Assert.Equal("2026-11-28T01:02:03.562161Z", Text(stored, "spec", "renewTime"));
        Assert.Equal("2026-11-28T01:02:03.000000Z", Text(stored, "spec", "acquireTime"));
    }

    [SkippableFact]
    public async Task A_pod_status_written_through_status_gets_whole_second_times_in_its_lists()
    {
        using var client = server.Client();
        using var http = server.Http();
        var pod = await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "ts-pod" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "c", Image = "127.0.0.1:5000/library/busybox:1.35" }] },
        }, "default");
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            StartTime = Instant,
            Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = Instant }],
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "c", Image = "busybox:1.35", ImageID = "", Ready = true, RestartCount = 1,
                    State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Instant } },
                    LastState = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, StartedAt = Instant.AddSeconds(-9), FinishedAt = Instant.AddSeconds(-1) } },
                },
            ],
        };

        await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "ts-pod", "default");
        var stored = await RawAsync(http, "/api/v1/namespaces/default/pods/ts-pod");
        await client.CoreV1.DeleteNamespacedPodAsync("ts-pod", "default", gracePeriodSeconds: 0);

        var status = stored.GetProperty("status");
        Assert.Equal("2026-11-28T01:02:03Z", Text(status, "startTime"));
        Assert.Equal("2026-11-28T01:02:03Z", status.GetProperty("conditions")[0].GetProperty("lastTransitionTime").GetString());
        var container = status.GetProperty("containerStatuses")[0];
        Assert.Equal("2026-11-28T01:02:03Z", Text(container, "state", "running", "startedAt"));
        Assert.Equal("2026-11-28T01:01:54Z", Text(container, "lastState", "terminated", "startedAt"));
        Assert.Equal("2026-11-28T01:02:02Z", Text(container, "lastState", "terminated", "finishedAt"));
    }

    [SkippableFact]
    public async Task A_time_that_does_not_parse_is_refused_as_upstreams_decoder_refuses_it()
    {
        using var http = server.Http();
        const string Leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";

        using var create = await http.PostAsync(Leases, new StringContent(
            """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"ts-bad"},"spec":{"renewTime":"yesterday"}}""", Encoding.UTF8, "application/json"));
        using var good = await http.PostAsync(Leases, new StringContent(
            """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"ts-good"},"spec":{"renewTime":"2026-11-28T01:02:03.562161Z"}}""", Encoding.UTF8, "application/json"));
        using var patch = await http.PatchAsync(Leases + "/ts-good", new StringContent("""{"spec":{"acquireTime":"2026-13-01T00:00:00Z"}}""", Encoding.UTF8, "application/merge-patch+json"));

        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
        using (var status = JsonDocument.Parse(await create.Content.ReadAsStringAsync()))
        {
            Assert.Equal("BadRequest", status.RootElement.GetProperty("reason").GetString());
            Assert.Equal(
                "Lease in version \"v1\" cannot be handled as a Lease: parsing time \"yesterday\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"yesterday\" as \"2006\"",
                status.RootElement.GetProperty("message").GetString());
        }

        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        Assert.Equal((HttpStatusCode)422, patch.StatusCode);
        using (var status = JsonDocument.Parse(await patch.Content.ReadAsStringAsync()))
        {
            var cause = status.RootElement.GetProperty("details").GetProperty("causes")[0];
            Assert.Equal("patch", cause.GetProperty("field").GetString());
            Assert.EndsWith(": parsing time \"2026-13-01T00:00:00Z\": month out of range", cause.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        var unchanged = await RawAsync(http, Leases + "/ts-good");
        Assert.False(unchanged.GetProperty("spec").TryGetProperty("acquireTime", out _));
    }
}
