# bash completion for macvtapctl(1): subcommands, global and per-command options, the values
# of --format, --color and --host-files, and files (specs, plan files, metrics files).
# Installed as /usr/share/bash-completion/completions/macvtapctl (loaded on demand).

_macvtapctl() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        COMPREPLY=()
        cur="${COMP_WORDS[COMP_CWORD]}"
        prev="${COMP_WORDS[COMP_CWORD-1]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        # Without bash-completion, "--format=js" arrives as "--format" "=" "js".
        if [[ "$prev" == "=" ]]; then
            prev="${COMP_WORDS[COMP_CWORD-2]}"
        elif [[ "$cur" == "=" ]]; then
            cur=""
        fi
    fi

    local commands="validate show plan drift apply confirm rollback"
    local global_opts="--host --connect --state-dir --color -v --verbose --parallel --host-timeout
        --allow-uri --allow-uri-param --allow-root --version -h --help"

    # The subcommand: the first word that is one (global options come before it).
    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case " $commands " in
            *" ${words[i]} "*) cmd="${words[i]}"; break ;;
        esac
    done

    # --opt=value forms complete the value.
    if [[ "$cur" == --*=* ]]; then
        prev="${cur%%=*}"
        cur="${cur#*=}"
    fi

    case "$prev" in
        --format)
            if [[ "$cmd" == validate ]]; then
                COMPREPLY=($(compgen -W "text json" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "text json markdown" -- "$cur"))
            fi
            return ;;
        --color)
            COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --host-files)
            COMPREPLY=($(compgen -W "local none dir:" -- "$cur"))
            [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == dir: ]] && compopt -o nospace 2>/dev/null
            return ;;
        -f|--file)
            # A spec: a *.yaml file or a directory of them.
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.yaml' -- "$cur")
                $(compgen -f -X '!*.yml' -- "$cur"))
            return ;;
        -o|--out|--prometheus)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --state-dir|--allow-root)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --progress)
            COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --host|--connect|--parallel|--host-timeout|--allow-uri|--allow-uri-param|--batch|--max-bytes|--guest-files)
            return ;;  # a value of the operator's: nothing sensible to offer
    esac

    local opts
    case "$cmd" in
        "") if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$commands" -- "$cur"))
            fi
            return ;;
        validate) opts="-f --file --format -h --help" ;;
        plan) opts="-f --file --format -o --out --detailed-exitcode --batch --max-bytes -h --help" ;;
        drift) opts="-f --file --format --prometheus --max-bytes -h --help" ;;
        apply) opts="-f --file -y --yes --try --try= --batch --no-rollback --format --progress -h --help" ;;
        show) opts="-f --file --host-files --guest-files -h --help" ;;
        confirm|rollback) opts="-h --help" ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *= ]] && compopt -o nospace 2>/dev/null
    elif [[ "$cmd" == apply ]]; then
        # apply's optional argument: a plan file saved by `plan -o`.
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _macvtapctl macvtapctl
