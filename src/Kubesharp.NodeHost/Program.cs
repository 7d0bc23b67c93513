using System.CommandLine;
using Kubesharp.Commands;

var root = new RootCommand("Kubesharp's node executable: the agent, the kubelet and kube-proxy, compiled ahead of time.")
{
    KubeletCommand.CreateKubelet(),
    KubeletCommand.CreateAgent(),
    ProxyCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
