namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's default node identifier: a user is a node when their name starts with
/// <c>system:node:</c> and they are in the <c>system:nodes</c> group; the rest of the name is the node's
/// name, which may be empty (a node that cannot be identified). Stateless and thread-safe.
/// </summary>
internal static class NodeIdentity
{
    public static bool IsNode(UserInfo user, out string nodeName)
    {
        nodeName = "";
        if (!user.Name.StartsWith(UserInfo.NodePrefix, StringComparison.Ordinal) || !user.InGroup(UserInfo.Nodes))
        {
            return false;
        }

        nodeName = user.Name[UserInfo.NodePrefix.Length..];
        return true;
    }
}
