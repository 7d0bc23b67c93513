using k8s;
using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.DefaultBinder;

/// <summary>Binds through the API: <c>POST pods/NAME/binding</c> with the pod's uid, so that a pod recreated under the same name is not bound by mistake.</summary>
public sealed class DefaultBinder(IKubernetes client) : IBindPlugin
{
    public const string PluginName = "DefaultBinder";

    public string Name => PluginName;

    public async Task<Status> BindAsync(CycleState state, PodInfo pod, string node, CancellationToken cancellationToken)
    {
        var meta = pod.Pod.Metadata;
        var binding = new V1Binding
        {
            Metadata = new V1ObjectMeta { Name = meta.Name, NamespaceProperty = meta.NamespaceProperty, Uid = meta.Uid },
            Target = new V1ObjectReference { Kind = "Node", Name = node },
        };
        try
        {
            await client.CoreV1.CreateNamespacedPodBindingAsync(binding, meta.Name, meta.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Status.Success;
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            return Status.Error(PluginName, $"binding rejected: {(int)e.Response.StatusCode} {e.Response.Content}");
        }
    }
}
