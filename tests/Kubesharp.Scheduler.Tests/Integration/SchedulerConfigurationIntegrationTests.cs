using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Metrics;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Scheduler.Tests.Integration;

/// <summary>
/// A real API server and a scheduler started from a configuration file with a second profile, as
/// <c>kubesharp scheduler --config</c> starts it.
/// </summary>
public sealed class SchedulerConfigurationIntegrationTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-schedconfig-").FullName;
    private readonly SchedulerMetrics _metrics = new();
    private IStore? _store;
    private ApiServerHost? _host;
    private SchedulerHost? _scheduler;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.KubeconfigPath));

        var file = Path.Combine(_dir, "scheduler.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            leaderElection:
              leaderElect: false
            profiles:
            - schedulerName: default-scheduler
            - schedulerName: my-scheduler
              plugins:
                score:
                  disabled:
                  - name: '*'
            """);
        var config = SchedulerConfigurationLoader.LoadFile(file);
        var schedulerClient = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(_dir, "scheduler.kubeconfig")));
        _scheduler = new SchedulerHost(schedulerClient, config.ToHostOptions(new SchedulerHostOptions { Scheduler = new SchedulerOptions { Seed = 1, Metrics = _metrics } }), NullLoggerFactory.Instance);
        await _scheduler.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_scheduler is not null)
        {
            await _scheduler.DisposeAsync();
        }

        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _client?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<V1Pod> CreatePodAsync(V1Pod pod)
    {
        pod.Metadata.Uid = null;
        pod.Metadata.ResourceVersion = null;
        return await _client.CoreV1.CreateNamespacedPodAsync(pod, "default");
    }

    private async Task<V1Pod> WaitBoundAsync(string name)
    {
        var deadline = DateTime.UtcNow + Bound;
        V1Pod pod;
        do
        {
            pod = await _client.CoreV1.ReadNamespacedPodAsync(name, "default");
            if (pod.Spec.NodeName is not null)
            {
                return pod;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"expected {name} bound within {Bound}; conditions={KubernetesJson.Serialize(pod.Status?.Conditions)}");
        return pod;
    }

    [Fact]
    public async Task A_second_profile_binds_its_pods_and_a_pod_for_no_profile_is_left_alone()
    {
        var node = Make.Node("worker");
        node.Metadata.Uid = null;
        node.Metadata.ResourceVersion = null;
        var status = node.Status;
        var created = await _client.CoreV1.CreateNodeAsync(node);
        created.Status = status;
        await _client.CoreV1.ReplaceNodeStatusAsync(created, created.Metadata.Name);

        // Created first: the scheduler sees it before the others (one watch, in order) and, were it responsible,
        // would try it first (same priority, earlier arrival). So once the later pods are bound, it was passed over.
        await CreatePodAsync(Make.Pod("nobodys", "100m", spec: s => s.SchedulerName = "nobody"));
        await CreatePodAsync(Make.Pod("mine", "100m", spec: s => s.SchedulerName = "my-scheduler"));
        await CreatePodAsync(Make.Pod("defaults", "100m"));

        Assert.Equal("worker", (await WaitBoundAsync("mine")).Spec.NodeName);
        Assert.Equal("worker", (await WaitBoundAsync("defaults")).Spec.NodeName);

        // Events are written in the background: wait for the later pods' Scheduled events, then none may be the ignored pod's.
        var deadline = DateTime.UtcNow + Bound;
        Corev1EventList events;
        do
        {
            events = await _client.CoreV1.ListNamespacedEventAsync("default");
            if (events.Items.Count(e => e.Reason == "Scheduled") == 2)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Contains(events.Items, e => e.Reason == "Scheduled" && e.Message == "Successfully assigned default/mine to worker");
        Assert.Contains(events.Items, e => e.Reason == "Scheduled" && e.Message == "Successfully assigned default/defaults to worker");
        Assert.DoesNotContain(events.Items, e => e.InvolvedObject.Name == "nobodys");
        var ignored = await _client.CoreV1.ReadNamespacedPodAsync("nobodys", "default");
        Assert.Null(ignored.Spec.NodeName);
        Assert.Null(ignored.Status?.Conditions);

        using var text = new MemoryStream();
        await _metrics.WriteAsync(text, CancellationToken.None);
        var metrics = Encoding.UTF8.GetString(text.ToArray());
        Assert.Contains("scheduler_schedule_attempts_total{result=\"scheduled\",profile=\"my-scheduler\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("scheduler_schedule_attempts_total{result=\"scheduled\",profile=\"default-scheduler\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("profile=\"nobody\"", metrics, StringComparison.Ordinal);
    }
}
