using TractorNet.Testing;

// Every test fails if it leaves a process of ours running.
[assembly: NoZombies]
