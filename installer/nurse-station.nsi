; Windows installer of the desk (after Picard's installer/picard-setup.nsi.in).
;
; Built by installer/build-windows.ps1 from the PyInstaller one-folder build:
;   makensis /DVERSION=0.1.0 /DBUNDLE_DIR=..\dist\nurse-station /DOUTFILE=..\dist\nurse-station-setup.exe nurse-station.nsi
;
; Per-machine install (Program Files, all users' Start menu). Silent deployment to ward PCs:
;   nurse-station-setup.exe /S /SERVER=https://followup.hospital.local /WARD=CARD1 /CA=C:\certs\ca.pem [/LOCK=1]
; writes %ProgramData%\NurseStation\config.toml (the machine configuration read by the desk);
; /LOCK=1 locks the given server, CA and ward so nurses cannot change them. Without any of these
; options an existing config.toml is left exactly as it is. Uninstalling keeps config.toml and the
; users' own data (their caches may hold unsynced follow-ups).

Unicode true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef BUNDLE_DIR
  !define BUNDLE_DIR "..\dist\nurse-station"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\nurse-station-setup-${VERSION}.exe"
!endif

!define PRODUCT "NurseStation"
!define PRODUCT_NAME "Follow-up Nurse Station"
!define PRODUCT_NAME_ZH "随访护士站"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

Name "${PRODUCT_NAME_ZH} ${PRODUCT_NAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
InstallDirRegKey HKLM "Software\${PRODUCT}" "InstallDir"
ShowInstDetails show
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT_NAME}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT_NAME} installer"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Hospital IT"

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

Var Server
Var Ward
Var CaBundle
Var Lock
Var ConfigDir

Function .onInit
  SetShellVarContext all
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${PRODUCT_NAME} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $Server
  ${GetOptions} $R0 "/WARD=" $Ward
  ${GetOptions} $R0 "/CA=" $CaBundle
  ${GetOptions} $R0 "/LOCK=" $Lock
  ClearErrors
FunctionEnd

; Writes one "key = 'value'" line (TOML literal string: Windows backslashes stay as they are).
!macro WriteTomlValue handle key value
  ${If} ${value} != ""
    FileWrite ${handle} "${key} = '${value}'$\r$\n"
  ${EndIf}
!macroend

Function WriteMachineConfig
  ${If} $Server == ""
  ${AndIf} $Ward == ""
  ${AndIf} $CaBundle == ""
    Return  ; nothing preset on the command line: keep whatever IT already deployed
  ${EndIf}
  StrCpy $ConfigDir "$APPDATA\${PRODUCT}"  ; $APPDATA is %ProgramData% in the all-users context
  CreateDirectory "$ConfigDir"
  FileOpen $0 "$ConfigDir\config.toml" w
  FileWrite $0 "# Written by the ${PRODUCT_NAME} installer; see README $\"Deployment$\".$\r$\n"
  !insertmacro WriteTomlValue $0 "server_url" $Server
  !insertmacro WriteTomlValue $0 "ca_bundle" $CaBundle
  !insertmacro WriteTomlValue $0 "ward" $Ward
  ${If} $Lock == "1"
    FileWrite $0 "$\r$\n[locked]$\r$\n"
    ${If} $Server != ""
      FileWrite $0 "server_url = true$\r$\n"
    ${EndIf}
    ${If} $CaBundle != ""
      FileWrite $0 "ca_bundle = true$\r$\n"
    ${EndIf}
    ${If} $Ward != ""
      FileWrite $0 "ward = true$\r$\n"
    ${EndIf}
  ${EndIf}
  FileClose $0
  DetailPrint "machine configuration written to $ConfigDir\config.toml"
FunctionEnd

Section "Install"
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the program files; users' data lives in their own profiles.
  RMDir /r "$INSTDIR\_internal"
  File /r "${BUNDLE_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${PRODUCT_NAME_ZH}"
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME_ZH}\${PRODUCT_NAME_ZH}.lnk" "$INSTDIR\nurse-station.exe" "desk" "$INSTDIR\nurse-station.exe" 0
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME_ZH}\${PRODUCT_NAME}.lnk" "$INSTDIR\nurse-station.exe" "desk --lang en" "$INSTDIR\nurse-station.exe" 0

  Call WriteMachineConfig

  WriteRegStr HKLM "Software\${PRODUCT}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT_NAME_ZH} ${PRODUCT_NAME}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Hospital IT"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\nurse-station.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" "$\"$INSTDIR\uninstall.exe$\""
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" "$\"$INSTDIR\uninstall.exe$\" /S"
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $1 $2 $3
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $1
SectionEnd

Function un.onInit
  SetShellVarContext all
FunctionEnd

Section "Uninstall"
  ; Program files and shortcuts only: %ProgramData%\NurseStation\config.toml and every user's
  ; cache stay (delete them by hand to wipe the PC).
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\nurse-station.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  RMDir /r "$SMPROGRAMS\${PRODUCT_NAME_ZH}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "Software\${PRODUCT}"
SectionEnd
