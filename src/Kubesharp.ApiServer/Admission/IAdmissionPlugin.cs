using System.Text.Json.Nodes;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Auth;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// One admission plugin, as upstream's admission chain: it sees every write after decoding and
/// defaulting and before validation and storage. Contract: a mutating plugin may change
/// <see cref="AdmissionRequest.Object"/> in place; a plugin refuses a write by throwing a
/// <c>StatusException</c> (usually 403 Forbidden), and nothing is then stored. Plugins run in order,
/// on every retry of a compare-and-swap, so they must be idempotent. Safe to call concurrently.
/// </summary>
internal interface IAdmissionPlugin
{
    ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken);
}

internal enum AdmissionOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// A write being admitted: who, what (resource, subresource, namespace, name), the new object (null on
/// delete) and the stored one (null on create). For subresources such as <c>pods/binding</c> and
/// <c>pods/eviction</c>, <see cref="Object"/> is the request body (the Binding, the Eviction).
/// </summary>
internal sealed record AdmissionRequest(
    UserInfo User,
    AdmissionOperation Operation,
    ResourceInfo Resource,
    string Subresource,
    string Namespace,
    string Name,
    JsonObject? Object,
    JsonObject? OldObject,
    bool DryRun);

/// <summary>The plugins of one API server, run in order.</summary>
internal sealed class AdmissionChain(IReadOnlyList<IAdmissionPlugin> plugins)
{
    public static AdmissionChain Empty { get; } = new([]);

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        foreach (var plugin in plugins)
        {
            await plugin.AdmitAsync(request, cancellationToken);
        }
    }
}
