# bash completion for vpcemu (make install puts it in
# $(PREFIX)/share/bash-completion/completions/vpcemu; or source it).
#
# Command names, ec2 and elbv2 commands, describe types, lab names and
# instance names come from the binary being completed, through its hidden
# `vpcemu __complete WHAT [LAB]`: it reads the same tables the commands
# run from, and the state directory (readable without root), so nothing
# here lists what the program knows. Files are bash's own (compgen -f).
# Plain bash: the bash-completion package is not needed.

# Appends the lines of stdin to the candidates, each line one.
_vpcemu_add()
{
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY
}

# Words of `vpcemu __complete "$@"` matching the current word.
_vpcemu_ask()
{
	local IFS=$'\n'
	_vpcemu_add < <(compgen -W \
		"$("$_vpcemu_bin" __complete "$@" 2>/dev/null)" -- "$_vpcemu_cur")
}

_vpcemu_words()
{
	_vpcemu_add < <(compgen -W "$*" -- "$_vpcemu_cur")
}

_vpcemu_files()
{
	# Directories get their slash, and names with blanks stay whole.
	compopt -o filenames 2>/dev/null
	_vpcemu_add < <(compgen -f -- "$_vpcemu_cur")
}

# The value of option $1 among the words typed so far, if any.
_vpcemu_opt()
{
	local i
	for ((i = 2; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == "$1" ]]; then
			echo "${COMP_WORDS[i + 1]}"
			return
		fi
	done
}

# How many operands (words not options, nor an option's value) stand
# between the command and the current word. Options that take a value
# are those in $1 (space-separated).
_vpcemu_operands()
{
	local i n=0
	for ((i = 2; i < COMP_CWORD; i++)); do
		case " $1 " in
		*" ${COMP_WORDS[i]} "*) ((i++)) ;;
		*) [[ ${COMP_WORDS[i]} == -* ]] || ((n++)) ;;
		esac
	done
	echo "$n"
}

_vpcemu()
{
	local _vpcemu_bin=${COMP_WORDS[0]} _vpcemu_cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=${COMP_WORDS[1]}
	local i
	COMPREPLY=()

	if ((COMP_CWORD == 1)); then
		_vpcemu_ask commands
		_vpcemu_words help --help --version
		return
	fi
	case $prev in
	--lab)
		_vpcemu_ask labs
		return ;;
	--name | --timeout | --region | --lines)
		return ;;
	--format)
		_vpcemu_words svg png dot
		return ;;
	--junit)
		_vpcemu_files
		return ;;
	--output)
		if [[ $cmd == diagram || $cmd == export ]]; then
			_vpcemu_files
		elif [[ $cmd == validate || $cmd == cost ]]; then
			_vpcemu_words table json
		else
			_vpcemu_words json table
		fi
		return ;;
	--target)
		_vpcemu_ask instances "$(_vpcemu_opt --lab)"
		return ;;
	esac
	case $cmd in
	help)
		((COMP_CWORD == 2)) && _vpcemu_ask commands ;;
	validate | up | apply | test)
		if [[ $_vpcemu_cur == -* ]]; then
			case $cmd in
			validate) _vpcemu_words --name --output ;;
			test) _vpcemu_words --name --junit --timeout --keep ;;
			up) _vpcemu_words --name --empty --region ;;
			*) _vpcemu_words --name ;;
			esac
		elif [[ $cmd != up || $prev != --empty ]]; then
			_vpcemu_files
		fi ;;
	down | diagram)
		if [[ $_vpcemu_cur == -* ]]; then
			if [[ $cmd == down ]]; then
				_vpcemu_words --name
			else
				_vpcemu_words --format --output
			fi
		elif (($(_vpcemu_operands "--name --format --output") == 0)); then
			_vpcemu_ask labs
			_vpcemu_files
		fi ;;
	status)
		if [[ $_vpcemu_cur == -* ]]; then
			_vpcemu_words --instances
		elif ((COMP_CWORD == 2)); then
			_vpcemu_ask labs
		fi ;;
	flow-logs)
		if [[ $_vpcemu_cur == -* ]]; then
			_vpcemu_words --lab --lines
		elif (($(_vpcemu_operands "--lab --lines") == 0)); then
			_vpcemu_words tail
		fi ;;
	cost | export)
		if [[ $_vpcemu_cur == -* ]]; then
			_vpcemu_words --output
		elif (($(_vpcemu_operands "--output") == 0)); then
			_vpcemu_ask labs
		fi ;;
	exec)
		# exec [--lab LAB] INSTANCE -- CMD...: after --, the command's.
		for ((i = 2; i < COMP_CWORD; i++)); do
			if [[ ${COMP_WORDS[i]} == -- ]]; then
				if ((i + 1 == COMP_CWORD)); then
					_vpcemu_add < <(compgen -c -- "$_vpcemu_cur")
				else
					_vpcemu_files
				fi
				return
			fi
		done
		case $(_vpcemu_operands --lab) in
		0)
			if [[ $_vpcemu_cur == -* ]]; then
				_vpcemu_words --lab
			else
				_vpcemu_ask instances "$(_vpcemu_opt --lab)"
			fi ;;
		1)
			_vpcemu_words -- ;;
		esac ;;
	ec2 | elbv2 | iam)
		if (($(_vpcemu_operands "--lab --output") == 0)); then
			if [[ $_vpcemu_cur == -* ]]; then
				_vpcemu_words --lab --output
			else
				_vpcemu_ask "$cmd"
			fi
		else
			_vpcemu_words --lab --output --help
		fi ;;
	describe)
		if [[ $_vpcemu_cur == -* ]]; then
			_vpcemu_words --lab --output
		elif (($(_vpcemu_operands "--lab --output") == 0)); then
			_vpcemu_ask describe
		fi ;;
	ssm)
		if (($(_vpcemu_operands "--lab --target") == 0)); then
			_vpcemu_words start-session describe-instance-information
		else
			_vpcemu_words --target --lab
		fi ;;
	esac
}
complete -F _vpcemu vpcemu
