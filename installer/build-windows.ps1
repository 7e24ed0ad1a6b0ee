<#
.SYNOPSIS
  Build the Windows installer of the desk: PyInstaller one-folder build, then NSIS.

.DESCRIPTION
  Run from a "Developer PowerShell" (or any PowerShell) on a 64-bit Windows build machine with
  Python 3.11 and NSIS 3 (makensis on PATH or in "C:\Program Files (x86)\NSIS"):

    py -3.11 -m venv .venv; .venv\Scripts\pip install -e ".[test]" pyinstaller
    powershell -ExecutionPolicy Bypass -File installer\build-windows.ps1 [-VoiceModel C:\models\vosk-model-small-cn-0.22]

  Output: dist\nurse-station\ (the one-folder build) and dist\nurse-station-setup-<version>.exe.
  Silent install on ward PCs (see README "Deployment"):

    nurse-station-setup-<version>.exe /S /SERVER=https://followup.hospital.local /WARD=CARD1 /CA=C:\certs\ca.pem /LOCK=1

.PARAMETER VoiceModel
  A Vosk model folder to bundle (resources\voice-model in the build); omitted = no model.
#>
param(
  [string]$VoiceModel = "",
  [string]$Python = ".venv\Scripts\python.exe"
)
$ErrorActionPreference = "Stop"
$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root

$Version = & $Python -c "import nurse_app; print(nurse_app.__version__)"
if ($LASTEXITCODE -ne 0) { throw "cannot import nurse_app with $Python" }

if ($VoiceModel) { $env:NURSE_STATION_VOICE_MODEL = (Resolve-Path $VoiceModel).Path }
else { Remove-Item Env:NURSE_STATION_VOICE_MODEL -ErrorAction SilentlyContinue }

& $Python -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller installer\nurse-station.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# The build must start before it is packaged (Qt plugins, SQLCipher, migrations, resources).
$env:QT_QPA_PLATFORM = "offscreen"
& dist\nurse-station\nurse-station.exe --smoke
if ($LASTEXITCODE -ne 0) { throw "the frozen build failed its smoke test" }
Remove-Item Env:QT_QPA_PLATFORM

$MakeNsis = (Get-Command makensis -ErrorAction SilentlyContinue).Source
if (-not $MakeNsis) { $MakeNsis = "${env:ProgramFiles(x86)}\NSIS\makensis.exe" }
& $MakeNsis /V2 /DVERSION=$Version /DBUNDLE_DIR=$Root\dist\nurse-station `
  /DOUTFILE=$Root\dist\nurse-station-setup-$Version.exe installer\nurse-station.nsi
if ($LASTEXITCODE -ne 0) { throw "makensis failed" }
Write-Host "dist\nurse-station-setup-$Version.exe"
