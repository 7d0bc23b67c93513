using System.CommandLine;
using Kubesharp.Commands;

var root = new RootCommand("Kubesharp: a Kubernetes-compatible container orchestrator in one binary.")
{
    ServerCommand.Create(),
    ControllerManagerCommand.Create(),
    SchedulerCommand.Create(),
    KubeletCommand.CreateKubelet(),
    KubeletCommand.CreateAgent(),
    ExplainPlacementCommand.Create(),
    ImageCommand.Create(),
    VersionCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
