using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>A real API server on a free loopback port over SQLite in a temporary directory, shared by one test class.</summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-controllers-").FullName;
    private IStore? _store;
    private ApiServerHost? _host;

    public ApiServerHost Host => _host ?? throw new InvalidOperationException("not started");

    public string DataDir => _dir;

    public string ServerUrl => Host.Url!.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
    }

    /// <summary>The admin (system:masters).</summary>
    public Kubernetes Admin() => FromKubeconfig(Host.KubeconfigPath);

    /// <summary>The controller manager's own identity, <c>system:kube-controller-manager</c>, as the server writes it.</summary>
    public Kubernetes ControllerManager() => FromKubeconfig(Path.Combine(_dir, "controller-manager.kubeconfig"));

    public static Kubernetes FromKubeconfig(string path) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

    /// <summary>A client that trusts the cluster CA and presents only <paramref name="token"/>.</summary>
    public Kubernetes WithToken(string token)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Host.KubeconfigPath);
        config.ClientCertificateData = null;
        config.ClientCertificateKeyData = null;
        config.ClientCertificateFilePath = null;
        config.ClientKeyFilePath = null;
        config.AccessToken = token;
        return new Kubernetes(config);
    }

    /// <summary>
    /// A client with upstream's <c>--use-service-account-credentials</c> identity for <paramref name="controller"/>: the
    /// service account kube-system/<paramref name="controller"/> (created when missing) and a token for it.
    /// </summary>
    public async Task<Kubernetes> ServiceAccountClientAsync(string controller)
    {
        using var admin = Admin();
        try
        {
            await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = controller } }, "kube-system");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Made by an earlier test of the class.
        }

        var token = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, controller, "kube-system");
        return WithToken(token.Status.Token);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// Controllers from their descriptors, running in a <see cref="ControllerHost"/> over their own informer factory and
/// one client, as the controller manager runs them, until disposed.
/// </summary>
internal sealed class ControllerRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SharedInformerFactory _informers;
    private readonly List<IController> _controllers = [];
    private readonly Task _running;

    public ControllerRun(Kubernetes client, IEnumerable<ControllerDescriptor> descriptors)
    {
        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        var context = new ControllerContext(client, _informers, _ => DiscardingRecorder.Instance, TimeProvider.System, NullLoggerFactory.Instance);
        var host = new ControllerHost(NullLogger.Instance);
        foreach (var descriptor in descriptors)
        {
            var controller = descriptor.Create(context);
            _controllers.Add(controller);
            host.Add(controller, 2);
        }

        _running = host.RunAsync(_informers, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        await _informers.DisposeAsync();
        foreach (var controller in _controllers.OfType<IDisposable>())
        {
            controller.Dispose();
        }

        _stop.Dispose();
    }

    // None of these controllers records events; the context needs a recorder all the same.
    private sealed class DiscardingRecorder : IEventRecorder
    {
        public static readonly DiscardingRecorder Instance = new();

        public void Event(V1ObjectReference involvedObject, string type, string reason, string message)
        {
        }
    }
}
