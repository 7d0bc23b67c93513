using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.ApiServer.Tests.Integration;

namespace Kubesharp.ApiServer.Tests.Admission;

/// <summary>The Priority admission plugin through a real server (its own: a global default class changes every new pod).</summary>
public sealed class PriorityAdmissionTests(SqliteApiServerFixture server) : IClassFixture<SqliteApiServerFixture>
{
    private static V1Pod Pod(string name, string? className = null, int? priority = null, string? policy = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            PriorityClassName = className,
            Priority = priority,
            PreemptionPolicy = policy,
            Containers = [new V1Container { Name = "c", Image = "busybox" }],
        },
    };

    private static V1PriorityClass Class(string name, int value, bool globalDefault = false, string? policy = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Value = value,
        GlobalDefault = globalDefault,
        PreemptionPolicy = policy,
    };

    private static string Message(HttpOperationException e) =>
        System.Text.Json.JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("message").GetString()!;

    [SkippableFact]
    public async Task Priority_comes_from_the_class_the_system_classes_exist_and_a_missing_class_is_refused()
    {
        using var client = server.Client();
        await client.SchedulingV1.CreatePriorityClassAsync(Class("batch-low", 100, policy: "Never"));

        var critical = await client.CoreV1.CreateNamespacedPodAsync(Pod("critical", "system-node-critical"), "default");
        var batch = await client.CoreV1.CreateNamespacedPodAsync(Pod("batch", "batch-low"), "default");

        Assert.Equal((2_000_001_000, "PreemptLowerPriority"), (critical.Spec.Priority, critical.Spec.PreemptionPolicy));
        Assert.Equal((100, "Never"), (batch.Spec.Priority, batch.Spec.PreemptionPolicy));
        var system = await client.SchedulingV1.ReadPriorityClassAsync("system-cluster-critical");
        Assert.Equal(2_000_000_000, system.Value);

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("lost", "nope"), "default"));
        Assert.Equal(403, (int)missing.Response.StatusCode);
        Assert.Equal("pods \"lost\" is forbidden: no PriorityClass with name nope was found", Message(missing));

        var contradicting = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("liar", "batch-low", priority: 5), "default"));
        Assert.Contains("the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name", Message(contradicting), StringComparison.Ordinal);
        var policy = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("eager", "batch-low", policy: "PreemptLowerPriority"), "default"));
        Assert.Contains("the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec", Message(policy), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_pod_without_a_class_gets_the_global_default_and_only_one_default_may_exist()
    {
        using var client = server.Client();
        var before = await client.CoreV1.CreateNamespacedPodAsync(Pod("before-default"), "default");
        Assert.Equal(0, before.Spec.Priority);
        Assert.Null(before.Spec.PriorityClassName);

        await client.SchedulingV1.CreatePriorityClassAsync(Class("everyday", 1000, globalDefault: true));
        var after = await client.CoreV1.CreateNamespacedPodAsync(Pod("after-default"), "default");
        Assert.Equal(("everyday", 1000), (after.Spec.PriorityClassName, after.Spec.Priority));

        var second = await Assert.ThrowsAsync<HttpOperationException>(() => client.SchedulingV1.CreatePriorityClassAsync(Class("another", 5, globalDefault: true)));
        Assert.Equal(403, (int)second.Response.StatusCode);
        Assert.Contains("PriorityClass everyday is already marked as default. Only one default can exist", Message(second), StringComparison.Ordinal);
        await client.SchedulingV1.DeletePriorityClassAsync("everyday");
    }
}
