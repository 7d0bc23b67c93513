using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Canonical;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema.Fields;

namespace Kubesharp.ApiServer.Rest;

/// <summary>ADR 3: the time fields of built-in kinds are stored as upstream marshals them (<see cref="Timestamps"/>).</summary>
internal sealed partial class RestHandler
{
    /// <summary>
    /// Canonicalises the times of a create or update body, after defaulting and before admission and validation;
    /// <paramref name="body"/> is the JSON it was decoded from, which lets a body whose times are already canonical
    /// through without a walk of the object. A time that does not parse is upstream's decoding error, 400. Custom
    /// resources are left as sent.
    /// </summary>
    private static void CanonicalizeTimes(ResourceInfo resource, JsonObject obj, byte[] body)
    {
        if (resource.Custom is null && Timestamps.Canonicalize(resource.Group, resource.Version, resource.Kind, obj, body) is { } error)
        {
            throw Timestamps.BodyError(resource.Kind, resource.Version, error);
        }
    }

    /// <summary>
    /// The same for a patched object, always walked: its times come from the patch (whose keys a JSON patch does not
    /// name) and from the stored object (written before ADR 3 was kept, maybe). Upstream decodes the patch's result
    /// into the typed object and reports a failure there as an invalid value of the field <c>patch</c> (422).
    /// </summary>
    private static void CanonicalizePatchedTimes(ResourceInfo resource, JsonObject patched, string contentType, byte[] patch)
    {
        if (resource.Custom is null && Timestamps.Canonicalize(resource.Group, resource.Version, resource.Kind, patched) is { } error)
        {
            var value = contentType == "application/strategic-merge-patch+json"
                ? FieldValidation.GoMap(JsonNode.Parse(patch))
                : Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(patched));
            throw Timestamps.PatchError(value, error);
        }
    }
}
