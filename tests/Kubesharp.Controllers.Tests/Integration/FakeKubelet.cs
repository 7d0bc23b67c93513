using System.Globalization;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// Stands in for kubelets in one namespace: every pod that appears (and matches <see cref="Accept"/>) is
/// made Running and Ready through the pods/status subresource, in the order the pods appear.
/// </summary>
internal sealed class FakeKubelet : IAsyncDisposable
{
    private readonly Kubernetes _client;
    private readonly string _ns;
    private readonly SharedInformerFactory _informers;
    private readonly Channel<V1Pod> _pending = Channel.CreateUnbounded<V1Pod>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private int _readied;

    public FakeKubelet(Kubernetes client, string ns, Func<V1Pod, bool>? accept = null)
    {
        _client = client;
        _ns = ns;
        Accept = accept ?? (_ => true);
        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        var pods = _informers.GetInformer<V1Pod>(ns);
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = Offer,
            UpdateFunc = (_, p) => Offer(p),
        });
        _informers.Start(_stop.Token);
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Which pods to make ready; changeable while running.</summary>
    public Func<V1Pod, bool> Accept { get; set; }

    public int Readied => Volatile.Read(ref _readied);

    private void Offer(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is null && pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") != true)
        {
            _pending.Writer.TryWrite(pod);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var pod in _pending.Reader.ReadAllAsync(_stop.Token))
            {
                if (!Accept(pod))
                {
                    continue;
                }

                var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                var patch = $$$"""{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}]}}""";
                try
                {
                    await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, _ns, cancellationToken: _stop.Token);
                    Interlocked.Increment(ref _readied);
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    // Deleted meanwhile.
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _worker;
        await _informers.DisposeAsync();
        _stop.Dispose();
    }
}
