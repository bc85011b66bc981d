/// The bootstrap line a parent writes to a new child: any field values survive the trip.
module TractorNet.Tests.BootstrapTests

open NUnit.Framework
open FsCheck
open FsCheck.NUnit
open TractorNet.Spawning

[<Property(MaxTest = 200)>]
let ``any bootstrap survives encoding on one line`` (address: NonNull<string>, secret: NonNull<string>, name: NonNull<string>, uid: NonNull<string>, pid: PositiveInt) =
    let b =
        { ParentAddress = address.Get
          Secret = secret.Get
          Name = name.Get
          Uid = uid.Get
          ParentPid = pid.Get }
    let line = Bootstrap.encode b
    not (line.Contains '\n') && not (line.Contains '\r') && Bootstrap.decode line = b

[<Test>]
let ``spaces, percent signs and line breaks are escaped`` () =
    let b = { ParentAddress = "uds:///tmp/a b.sock"; Secret = "x%y"; Name = "two\nlines"; Uid = "u"; ParentPid = 42 }
    let line = Bootstrap.encode b
    Assert.That(line, Is.EqualTo "uds:///tmp/a%20b.sock x%25y two%0Alines u 42")
    Assert.That(Bootstrap.decode line, Is.EqualTo b)

[<Test>]
let ``a malformed line is refused`` () =
    Assert.Throws<exn>(fun () -> Bootstrap.decode "a b c" |> ignore) |> ignore
    Assert.Throws<exn>(fun () -> Bootstrap.decode "a b c d 1%" |> ignore) |> ignore
