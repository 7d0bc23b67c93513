namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// What a request asks to do, as upstream's <c>authorizer.Attributes</c> built from its RequestInfo.
/// Resource requests have <see cref="IsResourceRequest"/> true and a verb among get, list, watch,
/// create, update, patch, delete, deletecollection (or a special verb such as impersonate, bind,
/// escalate, use, approve, sign); non-resource requests (<c>/healthz</c>, <c>/version</c>, <c>/api</c>)
/// have a lower-case HTTP verb (get, post, put, ...) and a <see cref="Path"/>.
/// Namespace and name are empty strings when absent, as upstream.
/// </summary>
public sealed record RequestAttributes(
    UserInfo User,
    string Verb,
    bool IsResourceRequest,
    string Path = "",
    string ApiGroup = "",
    string ApiVersion = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "")
{
    /// <summary>
    /// The request's <c>fieldSelector</c> query parameter as sent (empty when none), as upstream's
    /// <c>GetFieldSelector()</c>: the node authorizer lets a kubelet list and watch pods only with
    /// <c>spec.nodeName=&lt;itself&gt;</c>. Upstream also sets <see cref="Name"/> from a
    /// <c>metadata.name=</c> selector on list and watch; that is the request builder's job.
    /// </summary>
    public string FieldSelector { get; init; } = "";
}
