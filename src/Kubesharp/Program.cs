using System.CommandLine;
using Kubesharp.Commands;

var root = new RootCommand("Kubesharp: a Kubernetes-compatible container orchestrator in one binary.")
{
    ServerCommand.Create(),
    ControllerManagerCommand.Create(),
    SchedulerCommand.Create(),
    DnsCommand.Create(),
    KubeletCommand.CreateKubelet(),
    KubeletCommand.CreateAgent(),
    ProxyCommand.Create(),
    ExplainPlacementCommand.Create(),
    ImageCommand.Create(),
    DatastoreCommand.Create(),
    CertificateCommand.Create(),
    VersionCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
