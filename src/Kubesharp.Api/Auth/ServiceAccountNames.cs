namespace Kubesharp.Api.Auth;

/// <summary>
/// The user name a service account acts as (upstream's <c>serviceaccount.MakeUsername</c>):
/// <c>system:serviceaccount:NS:NAME</c>. It is also the <c>sub</c> claim of every token issued for it.
/// </summary>
public static class ServiceAccountNames
{
    public const string UsernamePrefix = "system:serviceaccount:";

    public static string MakeUsername(string @namespace, string name) => UsernamePrefix + @namespace + ":" + name;
}
