// The end-to-end tests in this project (Cluster/, EndToEnd/) each bring up whole clusters, containerds and etcd
// members; two at once would overload a 2-core machine and fight over the same bridge and runtime. They run one at a
// time (the unit tests here are few and fast). xunit.runner.json says the same: its setting wins over this attribute.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
