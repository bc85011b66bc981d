/// Small helpers shared by the test files.
[<AutoOpen>]
module TractorNet.Tests.TestSupport

open System.Threading.Tasks
open NUnit.Framework

/// Structural equality through NUnit (its own overloads are ambiguous on F# lists).
let eq (expected: 'T) = Is.EqualTo(box expected)

/// Runs `f` and gives the exception it raised, or null when it returned.
let catchAsync (f: unit -> Task<'T>) : Task<exn> =
    task {
        try
            let! _ = f ()
            return null
        with e ->
            return e
    }
