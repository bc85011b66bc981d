/// Locates the repository and build outputs from inside a test run.
module TractorNet.Testing.RepoPaths

open System
open System.IO

/// The repository root: the nearest ancestor of the test binary holding Tractor.sln.
let root =
    lazy
        (let rec up (dir: DirectoryInfo) =
            if isNull dir then failwith "Tractor.sln not found above the test binary"
            elif File.Exists(Path.Combine(dir.FullName, "Tractor.sln")) then dir.FullName
            else up dir.Parent

         up (DirectoryInfo AppContext.BaseDirectory))

/// The build configuration the tests were built with (Debug or Release).
let configuration =
    // bin/<Configuration>/<tfm>/
    DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent.Name

/// The output folder of a project in the repository, for the tests' own configuration.
let outputOf (projectDir: string) =
    Path.Combine(root.Value, projectDir, "bin", configuration, "net10.0")
