/// The function `spawn.cold` runs, alone in its module: an actor running it initialises only this
/// module. Beside the scenario table in ActorBench it would first build that table (the cost of a
/// user module with heavy top-level values, paid on the first call into it, not a spawn cost).
module TractorNet.Bench.ActorTargets

open System.Threading.Tasks

/// The cheapest possible actor function.
let trivial () : Task<int> = Task.FromResult 1
